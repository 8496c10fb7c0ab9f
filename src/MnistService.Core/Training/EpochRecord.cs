namespace MnistService.Core.Training;

/// <summary>One epoch of training, as in Keras's History.</summary>
public sealed record EpochRecord(int Epoch, double Loss, double Accuracy, double ValLoss, double ValAccuracy, double Seconds);
