using Microsoft.ML.OnnxRuntime;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Reading;

namespace MnistService.Api.ModelStore;

// Many images in one ONNX Runtime call: the candidate digits of a number.
public sealed partial class LoadedModel : IDigitClassifier
{
    /// <summary>The detector's threshold from the model's report; null for a model without a detector.</summary>
    public float? DigitScoreThreshold => DigitThreshold is { } threshold ? (float)threshold : null;

    public bool DigitScoreIsProbability => DigitThreshold is not null && Report?.Detector?.Method == ChoiceNames.Of(DetectorKind.Discriminator);

    /// <summary>
    /// Runs <paramref name="count"/> images (784 values each) through the network as one [count,1,28,28] batch, the
    /// classifier's output found by its name (<see cref="OnnxModelFormat.OutputName"/>) whatever else the graph
    /// answers, and the detector's <c>digit_score</c> for each image into <paramref name="digitScores"/> when the model
    /// has one. The caller must hold a reference (see <see cref="ModelRepository.Acquire"/>).
    /// </summary>
    public void Classify(float[] images, int count, float[] probabilities, float[] digitScores)
    {
        if (images.Length < count * InputSize || probabilities.Length < count * Classes)
        {
            throw new ArgumentException($"Expected room for {count} images and their probabilities.");
        }
        if (count == 0)
        {
            return;
        }
        var shape = (long[])_inputShape.Clone();
        shape[0] = count;
        var outputs = _session.OutputMetadata.ContainsKey(OnnxModelFormat.OutputName) ? OnnxModelFormat.OutputName : _outputNames[0];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(images, 0, count * InputSize), shape);
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(probabilities, 0, count * Classes), [count, Classes]);
        using var options = new RunOptions();
        if (!HasDigitScore)
        {
            _session.Run(options, _inputNames, [input], [outputs], [output]);
            return;
        }
        if (digitScores.Length < count)
        {
            throw new ArgumentException($"Expected room for {count} digit scores.", nameof(digitScores));
        }
        using var scores = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(digitScores, 0, count), [count]);
        _session.Run(options, _inputNames, [input], [outputs, OnnxModelFormat.DigitScoreName], [output, scores]);
    }
}
