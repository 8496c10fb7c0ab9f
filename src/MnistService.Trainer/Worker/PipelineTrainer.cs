using Microsoft.Extensions.Logging;
using MnistService.Core.Data;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Trainer.Pipeline;

namespace MnistService.Trainer.Worker;

/// <summary>
/// The worker's training: the same pipeline as <c>mnist-train train</c> (<see cref="ModelTraining"/>),
/// with MNIST loaded once, on the first job, and kept for the jobs after it.
/// </summary>
public sealed class PipelineTrainer(string? dataDirectory, ILogger logger)
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private MnistData? _data;

    public JobTrainer Trainer => TrainAsync;

    private async Task<ModelReport> TrainAsync(TrainingJob job, string modelPath, IProgress<EpochRecord> progress,
        CancellationToken cancellationToken)
    {
        var data = await LoadAsync(cancellationToken);
        var trained = ModelTraining.Run(data, job.Settings, modelPath, new EpochObserver(progress),
            job.TrainLimit, cancellationToken);
        return trained.Report;
    }

    private async Task<MnistData> LoadAsync(CancellationToken cancellationToken)
    {
        await _loading.WaitAsync(cancellationToken);
        try
        {
            return _data ??= await Mnist.LoadAsync(dataDirectory, message => logger.LogInformation("{Message}", message),
                cancellationToken: cancellationToken);
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>Passes each finished epoch on; batches are too fine-grained for a status file.</summary>
    private sealed class EpochObserver(IProgress<EpochRecord> progress) : ITrainingObserver
    {
        public void OnEpochStart(int epoch, int totalEpochs, int batchCount) { }
        public void OnBatchEnd(int epoch, int batchIndex, int batchCount, double runningLoss, double runningAccuracy) { }
        public void OnEpochEnd(EpochRecord record) => progress.Report(record);
    }
}
