using MnistService.Core.Network;

namespace MnistService.Core.Training;

/// <summary>The outcome of <see cref="Trainer.Train"/>.</summary>
/// <param name="Model">The network with the best epoch's weights restored.</param>
/// <param name="History">One entry per finished epoch.</param>
/// <param name="BestEpoch">The 1-based epoch with the highest validation accuracy (its weights are in <paramref name="Model"/>).</param>
/// <param name="StoppedEarly">Whether early stopping ended training before the last epoch.</param>
/// <param name="TrainCount">Samples trained on.</param>
/// <param name="ValidationCount">Samples held out from the end for validation.</param>
/// <param name="Seconds">Wall-clock time of the whole run.</param>
public sealed record TrainingResult(
    Mlp Model,
    IReadOnlyList<EpochRecord> History,
    int BestEpoch,
    bool StoppedEarly,
    int TrainCount,
    int ValidationCount,
    double Seconds);
