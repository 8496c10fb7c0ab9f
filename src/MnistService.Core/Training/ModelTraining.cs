using System.Reflection;
using MnistService.Core.Data;
using MnistService.Core.Onnx;
using TrainingLoop = MnistService.Core.Training.Trainer;

namespace MnistService.Core.Training;

/// <summary>A finished run: how training went, how the model does on the test set, and where it was written.</summary>
public sealed record TrainedModel(TrainingResult Training, Evaluation Test, ModelReport Report, string Path);

/// <summary>
/// The whole job of the trainer, shared by <c>mnist-train train</c> and the worker: train on MNIST,
/// evaluate on the test set, describe the run in a <see cref="ModelReport"/>, write the ONNX model atomically.
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
        var training = TrainingLoop.Train(train.Images, train.Labels, settings, observer, cancellationToken);
        var test = Evaluator.Evaluate(training.Model, data.Test.Images, data.Test.Labels);
        var report = new ModelReport
        {
            Created = DateTimeOffset.UtcNow,
            Hyperparameters = settings,
            Architecture = ArchitectureInfo.Of(training.Model),
            History = training.History,
            Test = TestResult.Of(test),
            Dataset = new DatasetInfo("mnist", data.Sha256, training.TrainCount, training.ValidationCount, data.Test.Count),
            Producer = Producer,
        };

        cancellationToken.ThrowIfCancellationRequested(); // a job cancelled while being evaluated writes no model
        OnnxExporter.Write(outputPath, training.Model.GetParameters(), report);
        return new TrainedModel(training, test, report, System.IO.Path.GetFullPath(outputPath));
    }
}
