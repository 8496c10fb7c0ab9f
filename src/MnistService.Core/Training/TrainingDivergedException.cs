using System.Globalization;

namespace MnistService.Core.Training;

/// <summary>
/// An epoch ended with a training loss that is not a number (NaN or infinite): the weights have blown up,
/// and no later epoch can bring them back, so training stops there instead of running on to its last epoch.
/// </summary>
public sealed class TrainingDivergedException(int epoch, double loss) : Exception(
    $"Training diverged in epoch {epoch}: the training loss is {loss.ToString(CultureInfo.InvariantCulture)}. A smaller learning rate usually helps.")
{
    public int Epoch { get; } = epoch;
    public double Loss { get; } = loss;
}
