using Microsoft.ML.OnnxRuntime;

namespace MnistService.Api.ModelStore;

/// <summary>
/// One inference on a known digit before a model may serve: a graph can declare [N,784] → [N,10] and
/// still fail when it runs (a Reshape to the wrong shape, a NaN weight, no Softmax), which only a run shows.
/// </summary>
public static class ModelWarmUp
{
    /// <summary>How far the ten probabilities may sum from 1 (float32 softmax sums are within 1e-6 of it).</summary>
    public const double SumTolerance = 1e-3;

    /// <summary>A "1" as MNIST draws it: white ink on black, a slightly slanted stroke through the middle.</summary>
    public static float[] KnownDigit { get; } = DrawOne();

    /// <summary>
    /// Runs <see cref="KnownDigit"/> with ONNX Runtime choosing the output's shape, and checks what came
    /// back: the shape [1,10], ten finite values in [0,1] that sum to 1.
    /// </summary>
    /// <exception cref="InvalidDataException">The model fails at inference or does not answer with probabilities.</exception>
    public static void Check(InferenceSession session, long[] inputShape)
    {
        var input = session.InputMetadata.Single().Key;
        var output = session.OutputMetadata.Keys.Single(k => k != Core.Onnx.OnnxModelFormat.DigitScoreName);
        try
        {
            using var image = OrtValue.CreateTensorValueFromMemory((float[])KnownDigit.Clone(), inputShape);
            using var options = new RunOptions();
            using var results = session.Run(options, [input], [image], [output]);
            var shape = results[0].GetTensorTypeAndShape().Shape;
            if (shape is not [1, LoadedModel.Classes])
            {
                throw new InvalidDataException(
                    $"The model fails at inference: on a test digit it answered shape [{string.Join(',', shape)}], not [1,{LoadedModel.Classes}].");
            }
            CheckProbabilities(results[0].GetTensorDataAsSpan<float>());
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"The model fails at inference on a test digit: {e.Message}", e);
        }
    }

    /// <exception cref="InvalidDataException">Not ten finite values in [0,1] summing to 1.</exception>
    public static void CheckProbabilities(ReadOnlySpan<float> probabilities)
    {
        var sum = 0.0;
        foreach (var p in probabilities)
        {
            if (!float.IsFinite(p) || p < 0 || p > 1)
            {
                throw new InvalidDataException(
                    $"The model fails at inference: on a test digit it answered {Show(probabilities)}, not probabilities (each finite, in [0,1]).");
            }
            sum += p;
        }
        if (probabilities.Length != LoadedModel.Classes || Math.Abs(sum - 1) > SumTolerance)
        {
            throw new InvalidDataException(
                $"The model fails at inference: on a test digit its {probabilities.Length} outputs sum to {sum:0.######}, not 1 ({Show(probabilities)}).");
        }
    }

    private static string Show(ReadOnlySpan<float> values) =>
        "[" + string.Join(", ", values.ToArray().Take(LoadedModel.Classes).Select(v => v.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture))) + "]";

    private static float[] DrawOne()
    {
        var image = new float[LoadedModel.InputSize];
        for (var row = 5; row <= 22; row++)
        {
            var column = 15 - (row - 5) / 6; // leaning right, as most hand-written ones do
            for (var c = column - 1; c <= column + 1; c++)
            {
                image[row * 28 + c] = c == column ? 1f : 0.5f;
            }
        }
        return image;
    }
}
