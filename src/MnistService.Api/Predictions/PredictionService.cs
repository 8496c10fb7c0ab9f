using System.Diagnostics;
using MnistService.Api.Errors;
using MnistService.Api.Feedback;
using MnistService.Api.Metrics;
using MnistService.Api.ModelStore;
using MnistService.Core.Imaging;
using MnistService.Core.Reading;

namespace MnistService.Api.Predictions;

/// <summary>From a request's input to the network's answer: decode, preprocess, infer, count.</summary>
public sealed class PredictionService(ModelRepository models, ImageDecoder decoder, DecodeBudget budget, PredictionMemory memory)
{
    /// <summary>How long a request waits for room in the decoded-pixel budget before it is answered 503.</summary>
    public static readonly TimeSpan BudgetWait = TimeSpan.FromSeconds(1);

    /// <summary>The network input for an encoded image (decoded, then made MNIST-like).</summary>
    /// <exception cref="ImageRejectedException">The image cannot be read, is too large, or shows no digit.</exception>
    /// <exception cref="ServiceBusyException">No room in the budget within <see cref="BudgetWait"/>, or memory ran out.</exception>
    public Task<float[]> PreprocessAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken) =>
        WithDecodedAsync(image, decoded =>
        {
            var started = Stopwatch.GetTimestamp();
            var input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
            MnistPreprocessor.Process(decoded, input);
            ServiceMetrics.PreprocessSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            return input;
        }, cancellationToken);

    /// <summary>The number written in an encoded image, read by <paramref name="model"/> (<see cref="NumberReader"/>).</summary>
    /// <exception cref="ImageRejectedException">The image cannot be read, is too large, shows no digit or too many.</exception>
    /// <exception cref="ServiceBusyException">No room in the budget within <see cref="BudgetWait"/>, or memory ran out.</exception>
    public Task<NumberReading> ReadNumberAsync(ReadOnlyMemory<byte> image, LoadedModel model, CancellationToken cancellationToken) =>
        WithDecodedAsync(image, decoded => ReadNumber(decoded, model), cancellationToken);

    /// <summary>The number in network-ready pixels (784 values in [0,1], ink bright): a 28x28 image of it.</summary>
    public static NumberReading ReadNumber(float[] pixels, LoadedModel model)
    {
        using var image = GrayImage.Rent(MnistPreprocessor.Side, MnistPreprocessor.Side, withAlpha: false);
        var gray = image.Gray;
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = (byte)MathF.Round(pixels[i] * 255);
        }
        return ReadNumber(image, model);
    }

    private static NumberReading ReadNumber(GrayImage image, LoadedModel model)
    {
        var reading = NumberReader.Read(image, model);
        ServiceMetrics.SequenceRequests.WithLabels(model.Name).Inc();
        ServiceMetrics.SequenceDigits.Observe(reading.Digits.Count);
        return reading;
    }

    /// <summary>
    /// Decodes <paramref name="image"/> and hands it to <paramref name="use"/>. The image's size is read from its
    /// header first and its pixels reserved in the <see cref="DecodeBudget"/> until <paramref name="use"/> is done, so
    /// that the memory of all decodes in flight stays bounded; the work stops at its next step once
    /// <paramref name="cancellationToken"/> fires (the client left, or the request's timeout).
    /// </summary>
    private async Task<T> WithDecodedAsync<T>(ReadOnlyMemory<byte> image, Func<GrayImage, T> use, CancellationToken cancellationToken)
    {
        try
        {
            var size = decoder.ReadSize(image);
            using var reservation = await budget.ReserveAsync(size.Pixels, BudgetWait, cancellationToken)
                ?? throw Refused("budget", new ServiceBusyException(
                    $"Other images are being decoded: this {size.Width}x{size.Height} image does not fit in the {budget.CapacityPixels:N0} decoded pixels allowed at once (Limits:MaxDecodedPixelsInFlight). Retry in a moment.",
                    retryAfterSeconds: 1));
            using var inFlight = ServiceMetrics.TrackDecodedPixels(size.Pixels);
            cancellationToken.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            using var decoded = decoder.Decode(image, out var path, cancellationToken);
            ServiceMetrics.DecodeSeconds.WithLabels(ServiceMetrics.DecoderLabel(path)).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            cancellationToken.ThrowIfCancellationRequested();
            return use(decoded);
        }
        catch (OutOfMemoryException)
        {
            // The budget is sized so that this does not happen; if the process's limit is reached anyway (other work, a
            // budget set too high), this request is refused, not failed, and the next may well succeed.
            throw Refused("memory", new ServiceBusyException("The service ran short of memory while decoding this image. Retry in a moment.", retryAfterSeconds: 2));
        }
    }

    /// <summary>
    /// The network input for JSON pixels (784 values in [0,1], ink bright): made MNIST-like as an image is, or with
    /// <paramref name="preprocess"/> false the values themselves. Blank pixels are refused either way.
    /// </summary>
    /// <exception cref="ImageRejectedException">The pixels are blank.</exception>
    public static float[] PreparePixels(float[] pixels, bool preprocess)
    {
        var started = Stopwatch.GetTimestamp();
        if (!preprocess)
        {
            MnistPreprocessor.EnsureNotBlank(pixels);
            return pixels;
        }
        var input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
        MnistPreprocessor.ProcessPixels(pixels, input);
        ServiceMetrics.PreprocessSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return input;
    }

    /// <summary>The network input for any input form: JSON pixels as <see cref="PreparePixels"/>, an image as <see cref="PreprocessAsync"/>.</summary>
    public async Task<float[]> PrepareAsync(PredictionInput input, CancellationToken cancellationToken) =>
        input.Pixels is { } sent ? PreparePixels(sent, input.Preprocess) : await PreprocessAsync(input.Image!.Memory, cancellationToken);

    private static ServiceBusyException Refused(string reason, ServiceBusyException refusal)
    {
        ServiceMetrics.DecodesRefused.WithLabels(reason).Inc();
        return refusal;
    }

    /// <summary>A lease on the named (or default) model, held for the whole request.</summary>
    public ModelLease Acquire(string? modelName) => models.Acquire(modelName);

    /// <summary>
    /// Reads <paramref name="input"/> (784 values in [0,1]) with <paramref name="model"/>, remembers the reading for
    /// feedback (with the upload, when originals are kept) and answers with its id.
    /// </summary>
    public PredictionResponse Predict(float[] input, LoadedModel model, ReadOnlySpan<byte> original = default)
    {
        var reading = Read(input, model);
        var id = memory.Remember(input, ServiceMetrics.DigitLabel(reading.Digit), reading.Probabilities, model.Name, model.Sha256,
            original);
        return new PredictionResponse(reading.Digit, reading.Probabilities[reading.Digit], reading.Probabilities, model.Name, model.Sha256,
            new NetworkInput(MnistPreprocessor.Side, MnistPreprocessor.Side, input), reading.IsDigit, reading.DigitScore, id);
    }

    /// <summary>
    /// Remembers a number read by <paramref name="model"/> for feedback (<c>{"id", "text"}</c>): each digit's input and
    /// probabilities, the digits without group spaces (with the upload, when originals are kept); answers its id.
    /// </summary>
    public string Remember(NumberReading reading, LoadedModel model, ReadOnlySpan<byte> original = default)
    {
        var inputs = new float[reading.Digits.Count * MnistPreprocessor.Side * MnistPreprocessor.Side];
        var probabilities = new float[reading.Digits.Count * LoadedModel.Classes];
        for (var d = 0; d < reading.Digits.Count; d++)
        {
            reading.Digits[d].Input.CopyTo(inputs, d * MnistPreprocessor.Side * MnistPreprocessor.Side);
            reading.Digits[d].Probabilities.CopyTo(probabilities, d * LoadedModel.Classes);
        }
        return memory.Remember(inputs, reading.Text.Replace(" ", "", StringComparison.Ordinal), probabilities, model.Name, model.Sha256,
            original);
    }

    /// <summary>Runs <paramref name="input"/> (784 values in [0,1]) through <paramref name="model"/>, counted in the metrics.</summary>
    public DigitReading Read(float[] input, LoadedModel model)
    {
        var probabilities = new float[LoadedModel.Classes];
        var started = Stopwatch.GetTimestamp();
        var score = model.Predict(input, probabilities);
        ServiceMetrics.InferenceSeconds.WithLabels(model.Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        var digit = 0;
        for (var d = 1; d < probabilities.Length; d++)
        {
            if (probabilities[d] > probabilities[digit])
            {
                digit = d;
            }
        }
        ServiceMetrics.Predictions.WithLabels(model.Name, ServiceMetrics.DigitLabel(digit)).Inc();
        bool? isDigit = model.DigitThreshold is { } threshold && score is { } value ? value >= threshold : null;
        if (isDigit == false)
        {
            ServiceMetrics.NonDigits.WithLabels(model.Name).Inc();
        }
        return new DigitReading(digit, probabilities, isDigit, score);
    }
}

/// <summary>
/// What the network read: the most probable digit, the probability of each digit 0..9, and whether the model's
/// detector takes the input for a digit (with its score; both null for a model without a detector).
/// </summary>
public sealed record DigitReading(int Digit, float[] Probabilities, bool? IsDigit, float? DigitScore);
