using System.Reflection;
using MnistService.Core.Data;
using MnistService.Core.Feedback;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using TrainingLoop = MnistService.Core.Training.Trainer;

namespace MnistService.Core.Training;

/// <summary>A finished run: how training went, how the model does on the test set, and where it was written.</summary>
public sealed record TrainedModel(TrainingResult Training, Evaluation Test, ModelReport Report, string Path);

/// <summary>
/// The whole job of the trainer, shared by <c>mnist-train train</c> and the worker: train on MNIST,
/// train the digit detector (unless the settings say none), evaluate on the test set, describe the run in a <see cref="ModelReport"/>, write the ONNX model atomically.
/// </summary>
public static class ModelTraining
{
    public static string Producer { get; } = $"mnist-train {Version}";

    public static string Version =>
        typeof(ModelTraining).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <param name="trainLimit">Train on the first N training images only (quick runs); null = all.</param>
    /// <exception cref="TrainingSettingsException">A setting is out of range (its errors say which).</exception>
    public static TrainedModel Run(MnistData data, TrainingSettings settings, string outputPath,
        ITrainingObserver? observer = null, int? trainLimit = null, CancellationToken cancellationToken = default)
    {
        var errors = TrainingSettings.ValidateTrainLimit(trainLimit);
        if (errors.Count > 0)
        {
            throw new TrainingSettingsException(errors);
        }

        var train = trainLimit is { } limit ? data.Train.Take(limit) : data.Train;
        var extra = settings.ExtraData is { } directory ? FeedbackImages.Read(directory) : null;
        var (images, labels) = WithExtra(train, extra, settings.ExtraWeight);
        var training = TrainingLoop.Train(images, labels, settings, observer, cancellationToken);
        var test = Evaluator.Evaluate(training.Model, data.Test.Images, data.Test.Labels);
        var detector = settings.Detector != DetectorKind.None
            ? DetectorTrainer.Train(images, training.TrainCount, data.Test.Images, settings, training.Model,
                observer is null ? null : observer.OnDetectorEpochEnd, cancellationToken)
            : null;
        var report = Describe(training, test, settings, data, Producer, extra?.Count ?? 0, detector?.Report);

        cancellationToken.ThrowIfCancellationRequested(); // a job cancelled while being evaluated writes no model
        OnnxExporter.Write(outputPath, training.Model.GetParameters(), report, detector: detector?.Network.GetParameters(),
            convolutions: training.Model.GetConvolutions());
        return new TrainedModel(training, test, report, System.IO.Path.GetFullPath(outputPath));
    }

    /// <summary>The report of a training of <paramref name="settings"/> evaluated on <paramref name="data"/>'s test set (<paramref name="test"/>).</summary>
    /// <param name="extra">The digits trained on besides MNIST's (people's answers).</param>
    public static ModelReport Describe(TrainingResult training, Evaluation test, TrainingSettings settings, MnistData data, string producer,
        int extra = 0, DetectorReport? detector = null) => new()
        {
            Created = DateTimeOffset.UtcNow,
            Hyperparameters = settings,
            Architecture = ArchitectureInfo.Of(training.Model),
            History = training.History,
            Test = TestResult.Of(test),
            Dataset = new DatasetInfo("mnist", data.Sha256, training.TrainCount, training.ValidationCount, data.Test.Count, extra),
            Detector = detector,
            Producer = producer,
            Misread = test.Misread,
        };

    /// <summary>
    /// The extra digits, <paramref name="weight"/> times over, then the MNIST training images. The validation split is
    /// taken from the end, so it stays MNIST's own and early stopping judges every run on the same kind of digits.
    /// </summary>
    private static (float[] Images, byte[] Labels) WithExtra(MnistSet train, MnistSet? extra, int weight)
    {
        if (extra is null)
        {
            return (train.Images, train.Labels);
        }
        var images = new float[(extra.Images.Length * weight) + train.Images.Length];
        var labels = new byte[(extra.Count * weight) + train.Count];
        for (var copy = 0; copy < weight; copy++)
        {
            extra.Images.CopyTo(images, copy * extra.Images.Length);
            extra.Labels.CopyTo(labels, copy * extra.Count);
        }
        train.Images.CopyTo(images, extra.Images.Length * weight);
        train.Labels.CopyTo(labels, extra.Count * weight);
        return (images, labels);
    }
}
