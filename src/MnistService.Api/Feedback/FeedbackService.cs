using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MnistService.Api.Errors;
using MnistService.Api.Predictions;
using MnistService.Core.Feedback;
using MnistService.Core.Imaging;

namespace MnistService.Api.Feedback;

/// <summary>
/// From a <c>POST /feedback</c> to a stored <see cref="FeedbackRecord"/>: the remembered reading of an id, or a
/// new reading of a posted image, with the person's label; and the store's failures as 503.
/// </summary>
public sealed class FeedbackService(FeedbackStore store, PredictionMemory memory, PredictionService predictions,
    PredictionInputReader inputs, TimeProvider clock, IOptions<FeedbackOptions> options, IOptions<LimitsOptions> limits)
{
    private const string Forms = """{"id": "...", "label": 7}, {"id": "...", "text": "0151 2345678"} or {"image": "data:image/png;base64,...", "label": 7}""";

    /// <summary>The longest number an answer may carry.</summary>
    public const int MaxDigits = 64;

    public const string LabelQuery = "label";

    /// <summary>Reads the request (JSON, or an image with <c>?label=N</c>) and stores the answer it gives.</summary>
    public async Task<FeedbackRecord> AddAsync(HttpRequest request, string? model, CancellationToken cancellationToken)
    {
        var record = IsJson(request.ContentType)
            ? await FromJsonAsync(request, model, cancellationToken)
            : await FromImageAsync(request, ParseDigit(request.Query[LabelQuery].ToString() is { Length: > 0 } query
                ? query
                : throw new InvalidInputException($"Send the right digit as ?{LabelQuery}=N with an image body, or send JSON {{\"id\", \"label\"}}.")),
                model, cancellationToken);
        await StoreAsync(() => store.AddAsync(record, cancellationToken));
        FeedbackMetrics.Answered(record);
        return record;
    }

    public async Task<FeedbackRecord> GetAsync(string id, CancellationToken cancellationToken) =>
        await StoreAsync(() => store.GetAsync(id, cancellationToken)) ?? throw new FeedbackNotFoundException(id);

    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        if (!await StoreAsync(() => store.DeleteAsync(id, cancellationToken)))
        {
            throw new FeedbackNotFoundException(id);
        }
    }

    /// <summary>The field confusion matrix of <paramref name="model"/>: digits as people say they are, against what it read.</summary>
    public async Task<int[][]> FieldConfusionAsync(string model, CancellationToken cancellationToken)
    {
        var counts = await StoreAsync(() => store.CountLabelsAsync(model, cancellationToken));
        var matrix = Enumerable.Range(0, FeedbackRecord.Classes).Select(_ => new int[FeedbackRecord.Classes]).ToArray();
        foreach (var count in counts.Where(c => c.Label.Length == c.Predicted.Length))
        {
            // A number read with the right count of digits adds each digit's pair; one split wrongly has no pairs to add.
            for (var i = 0; i < count.Label.Length; i++)
            {
                matrix[count.Label[i] - '0'][count.Predicted[i] - '0'] += (int)count.Count;
            }
        }
        return matrix;
    }

    /// <summary>Runs a store operation; a database that cannot be used is a 503, never a 500.</summary>
    public static async Task<T> StoreAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (FeedbackStoreUnavailableException e)
        {
            FeedbackMetrics.StoreFailures.Inc();
            throw new FeedbackUnavailableException(e.Message);
        }
    }

    private static Task StoreAsync(Func<Task> operation) => StoreAsync(async () =>
    {
        await operation();
        return true;
    });

    private async Task<FeedbackRecord> FromJsonAsync(HttpRequest request, string? model, CancellationToken cancellationToken)
    {
        using var body = await RequestBody.ReadAsync(request.Body, request.ContentLength, limits.Value.MaxRequestBytes, cancellationToken);
        FeedbackJsonRequest? json;
        try
        {
            json = JsonSerializer.Deserialize(body.Span, ApiJsonContext.Default.FeedbackJsonRequest);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(DescribeJsonError(e));
        }
        switch (json)
        {
            case null:
                throw new InvalidInputException($"The JSON body is null; send {Forms}.");
            case { Id: not null, Image: not null } or { Id: not null, Pixels: not null }:
                throw new InvalidInputException("Send either 'id' (a reading to answer) or 'image'/'pixels' (a new image), not both.");
            case { Label: not null, Text: not null }:
                throw new InvalidInputException("Send either 'label' (a digit) or 'text' (a number), not both.");
            case { Label: null, Text: null }:
                throw new InvalidInputException("Send the right answer: 'label' (a digit 0-9) or, for a number, 'text'.");
            case { Id: { } id }:
                return json.Label is { } label ? Answer(id, Digit(label), isNumber: false) : Answer(id, Number(json.Text!), isNumber: true);
            case { Image: not null, Pixels: not null }:
                throw new InvalidInputException("Send either 'pixels' or 'image', not both.");
            case { Text: not null }:
                throw new InvalidInputException("'text' answers a number read before: send it with that reading's 'id'. A new image takes a 'label'.");
            case { Pixels: { } pixels }:
                return await ReadAndLabelAsync(PredictionInput.FromPixels(PredictionInputReader.NormalizePixels(pixels), preprocess: true), Digit(json.Label!.Value), model, cancellationToken);
            case { Image: { } image }:
                return await ReadAndLabelAsync(PredictionInput.FromImage(PredictionInputReader.DecodeDataUrl(image)), Digit(json.Label!.Value), model, cancellationToken);
            default:
                throw new InvalidInputException("Send 'id' (the id of a /predict answer) or 'image' with the 'label'.");
        }
    }

    /// <summary>Broken JSON and the image fields as /predict words them; the other fields in this body's terms.</summary>
    private static string DescribeJsonError(JsonException error)
    {
        var field = error.Path?.TrimStart('$', '.').Split('[', '.')[0] ?? "";
        return error.InnerException is JsonException || field.Length == 0 || field.Equals("pixels", StringComparison.OrdinalIgnoreCase)
               || field.Equals("image", StringComparison.OrdinalIgnoreCase)
            ? PredictJsonErrors.Describe(error)
            : field.ToLowerInvariant() switch
            {
                "id" => "'id' must be a string: the id of a /predict answer.",
                "text" => "'text' must be a string of digits, e.g. \"0151 2345678\".",
                _ => $"Unknown field '{PredictionNotRememberedException.Shown(field)}'; send {Forms}.",
            };
    }

    private async Task<FeedbackRecord> FromImageAsync(HttpRequest request, string label, string? model, CancellationToken cancellationToken) =>
        await ReadAndLabelAsync(await inputs.ReadAsync(request, cancellationToken), label, model, cancellationToken);

    /// <summary>An image nobody predicted before: read it now, so the answer records what the model makes of it.</summary>
    private async Task<FeedbackRecord> ReadAndLabelAsync(PredictionInput input, string label, string? model, CancellationToken cancellationToken)
    {
        using (input)
        {
            using var lease = predictions.Acquire(model);
            var pixels = await predictions.PrepareAsync(input, cancellationToken);
            var reading = predictions.Read(pixels, lease.Model);
            var keep = options.Value.KeepOriginals && input.Image is not null;
            return new FeedbackRecord(PredictionMemory.NewId(), clock.GetUtcNow(), lease.Model.Name, lease.Model.Sha256, label,
                reading.Digit.ToString(System.Globalization.CultureInfo.InvariantCulture), FeedbackRecord.ToBytes(pixels), reading.Probabilities,
                keep ? input.Image!.Span.ToArray() : null, keep ? OriginalType(input.Image!.Span) : null);
        }
    }

    private FeedbackRecord Answer(string id, string label, bool isNumber)
    {
        var reading = memory.Recall(id) ?? throw new PredictionNotRememberedException(id, options.Value.PredictionLifetime);
        if (isNumber && label.Length != 1 && reading.Predicted.Length == 1)
        {
            throw new InvalidLabelException($"'text' answers a number; this reading is one digit ({reading.Predicted}): send 'label'.");
        }
        if (!isNumber && reading.Predicted.Length != 1)
        {
            throw new InvalidLabelException($"'label' answers a digit; this reading is the number {reading.Predicted}: send the right number as 'text'.");
        }
        return new FeedbackRecord(id, clock.GetUtcNow(), reading.Model, reading.ModelSha256, label, reading.Predicted,
            reading.Pixels, reading.Probabilities, reading.Original, reading.OriginalType);
    }

    /// <summary>A digit 0-9 as JSON gives it: a whole number, nothing else.</summary>
    private static string Digit(JsonElement label) =>
        label.ValueKind == JsonValueKind.Number && label.TryGetInt32(out var digit) && digit is >= 0 and <= 9
            ? digit.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidLabelException($"'label' must be a digit, a whole number 0-9; got {Core.Training.TrainingSetting.Show(label)}.");

    private static string ParseDigit(string text) =>
        text is [>= '0' and <= '9']
            ? text
            : throw new InvalidLabelException($"'{LabelQuery}' must be a digit 0-9; got '{(text.Length <= 20 ? text : text[..20] + "...")}'.");

    /// <summary>A number's digits, with the spaces, dashes and dots people write in them left out.</summary>
    private static string Number(string text)
    {
        var digits = new string([.. text.Where(c => c is not (' ' or '-' or '.' or '/'))]);
        if (digits.Length is 0 or > MaxDigits || !digits.All(char.IsAsciiDigit))
        {
            throw new InvalidLabelException($"'text' must be 1 to {MaxDigits} digits (spaces, dashes, dots and slashes between them are ignored); got \"{(text.Length <= 40 ? text : text[..40] + "...")}\".");
        }
        return digits;
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type) && type.MediaType.Value is { } media
        && (media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    public static string? OriginalType(ReadOnlySpan<byte> image) => ImageFormatSniffer.Detect(image) switch
    {
        ImageKind.Unknown => null,
        var kind => "image/" + kind.ToString().ToLowerInvariant(),
    };
}
