using System.Diagnostics;
using MnistService.Api.Metrics;
using MnistService.Api.ModelStore;
using MnistService.Core.Imaging;

namespace MnistService.Api.Predictions;

/// <summary>From a request's input to the network's answer: decode, preprocess, infer, count.</summary>
public sealed class PredictionService(ModelRepository models, ImageDecoder decoder)
{
    /// <summary>The network input for an encoded image (decoded, then made MNIST-like).</summary>
    /// <exception cref="ImageRejectedException">The image cannot be read, is too large, or shows no digit.</exception>
    public float[] Preprocess(ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var decoded = decoder.Decode(image, out var path, cancellationToken);
        ServiceMetrics.DecodeSeconds.WithLabels(ServiceMetrics.DecoderLabel(path)).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        started = Stopwatch.GetTimestamp();
        var input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
        MnistPreprocessor.Process(decoded, input);
        ServiceMetrics.PreprocessSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return input;
    }

    /// <summary>A lease on the named (or default) model, held for the whole request.</summary>
    public ModelLease Acquire(string? modelName) => models.Acquire(modelName);

    /// <summary>Runs <paramref name="input"/> (784 values in [0,1]) through <paramref name="model"/>.</summary>
    public PredictionResponse Predict(float[] input, LoadedModel model)
    {
        var probabilities = new float[LoadedModel.Classes];
        var started = Stopwatch.GetTimestamp();
        model.Predict(input, probabilities);
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
        return new PredictionResponse(digit, probabilities[digit], probabilities, model.Name, model.Sha256,
            new NetworkInput(MnistPreprocessor.Side, MnistPreprocessor.Side, input));
    }
}
