using MnistService.Core.Data;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Testing;

/// <summary>
/// Models whose reports list their misread test images, made here in seconds so tests never depend on the
/// figures of the committed models: the committed multi-layer perceptron re-evaluated, and tiny trainings.
/// </summary>
public static class InsightModels
{
    private static readonly Lazy<byte[]> Reevaluated = new(() => WithMisread(File.ReadAllBytes(Repo.MlpModel)));
    private static readonly Lazy<MnistData> Data = new(() => Mnist.ReadDirectory(MnistTestSet.Directory));

    /// <summary>The committed multi-layer perceptron with its test evaluation measured again and the misread list recorded.</summary>
    public static byte[] MlpWithMisread => Reevaluated.Value;

    /// <summary>
    /// The committed multi-layer perceptron with a report as files had before the misread list was recorded (a second
    /// report entry without it, which ONNX Runtime and our readers take in place of the first).
    /// </summary>
    public static byte[] MlpWithoutMisread()
    {
        var mlp = File.ReadAllBytes(Repo.MlpModel);
        var report = OnnxModelReader.Read(mlp).Report with { Misread = null };
        return [.. mlp, .. ModelFiles.MetadataEntry(ModelReport.MetadataKey, report.ToJson())];
    }

    /// <summary>
    /// A small model trained now with Core's training loop: one hidden layer of <paramref name="hidden"/> units,
    /// two epochs on the first <paramref name="images"/> training images (3,000: about 88 % on the test set;
    /// 12,000: about 94 %), with a full report.
    /// </summary>
    public static byte[] Train(int hidden, int seed, int images = 3000) =>
        Train(new TrainingSettings { Hidden = [hidden], Epochs = 2, Dropout = 0, Seed = seed }, images);

    /// <summary>A model trained now with <paramref name="settings"/> on the first <paramref name="images"/> training images, with a full report.</summary>
    public static byte[] Train(TrainingSettings settings, int images)
    {
        var data = Data.Value;
        var train = data.Train.Take(images);
        var training = Core.Training.Trainer.Train(train.Images, train.Labels, settings);
        var test = Evaluator.Evaluate(training.Model, data.Test.Images, data.Test.Labels);
        var report = ModelTraining.Describe(training, test, settings, data, "tests");
        return OnnxExporter.Serialize(training.Model.GetParameters(), report, convolutions: training.Model.GetConvolutions());
    }

    /// <summary>A model of ours (its detector kept) with its test evaluation measured again and the misread list recorded.</summary>
    public static byte[] WithMisread(byte[] model)
    {
        var file = OnnxModelReader.Read(model);
        var test = Data.Value.Test;
        var evaluation = Evaluator.Evaluate(Mlp.FromParameters(file.Layers), test.Images, test.Labels);
        var report = file.Report with { Test = TestResult.Of(evaluation), Misread = evaluation.Misread };
        return OnnxExporter.Serialize(file.Layers, report, detector: file.Detector);
    }
}
