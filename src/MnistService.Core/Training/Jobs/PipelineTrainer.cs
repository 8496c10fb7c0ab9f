using Microsoft.Extensions.Logging;
using MnistService.Core.Data;
using MnistService.Core.Onnx;

namespace MnistService.Core.Training.Jobs;

/// <summary>
/// The worker's training: the same pipeline as <c>mnist-train train</c> (<see cref="ModelTraining"/>),
/// with MNIST loaded once, on the first job, and kept for the jobs after it.
/// </summary>
/// <param name="lowPriority">Train at the lowest CPU priority (<see cref="TrainingThread"/>): for a worker inside the service.</param>
public sealed class PipelineTrainer(string? dataDirectory, ILogger logger, bool lowPriority = false)
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private MnistData? _data;

    public JobTrainer Trainer => TrainAsync;

    private async Task<ModelReport> TrainAsync(TrainingJob job, string modelPath, IJobProgress progress,
        CancellationToken cancellationToken)
    {
        var data = await LoadAsync(cancellationToken);
        var trained = await TrainingThread.Run(() => ModelTraining.Run(data, job.Settings, modelPath, new EpochObserver(progress),
            job.TrainLimit, cancellationToken), lowPriority, $"training {job.ModelName}");
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

    /// <summary>Passes each finished batch and epoch on (the worker decides how often to record batches).</summary>
    private sealed class EpochObserver(IJobProgress progress) : ITrainingObserver
    {
        public void OnEpochStart(int epoch, int totalEpochs, int batchCount) => progress.ReportBatch(epoch, 0, batchCount);
        public void OnBatchEnd(int epoch, int batchIndex, int batchCount, double runningLoss, double runningAccuracy) =>
            progress.ReportBatch(epoch, batchIndex + 1, batchCount);
        public void OnEpochEnd(EpochRecord record) => progress.Report(record);
    }
}
