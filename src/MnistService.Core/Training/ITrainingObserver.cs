namespace MnistService.Core.Training;

/// <summary>Progress callbacks from <see cref="Trainer.Train"/>, on the training thread (keep them quick).</summary>
public interface ITrainingObserver
{
    /// <param name="epoch">1-based.</param>
    void OnEpochStart(int epoch, int totalEpochs, int batchCount);

    /// <param name="batchIndex">0-based.</param>
    /// <param name="runningLoss">Mean training loss per sample over the epoch so far.</param>
    /// <param name="runningAccuracy">Training accuracy over the epoch's samples so far.</param>
    void OnBatchEnd(int epoch, int batchIndex, int batchCount, double runningLoss, double runningAccuracy);

    void OnEpochEnd(EpochRecord record);

    /// <summary>One epoch of the digit detector, trained after the classifier.</summary>
    void OnDetectorEpochEnd(Onnx.DetectorEpoch record)
    {
    }
}
