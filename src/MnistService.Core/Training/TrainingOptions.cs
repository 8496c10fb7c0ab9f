using System.Globalization;
using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Core.Training;

/// <summary>
/// Every setting of a training run, named and defaulted as the trainer's command-line options;
/// the defaults are the tutorial's configuration with dropout.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Hidden layer sizes, input side first.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [256, 128];
    /// <summary>"relu", "sigmoid" or "tanh" for every hidden layer.</summary>
    public string Activation { get; init; } = "relu";
    /// <summary>Dropout rate after the first hidden layer; 0 = none.</summary>
    public double Dropout { get; init; } = 0.3;
    /// <summary>"adam", "sgd" or "rmsprop".</summary>
    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 0.001;
    /// <summary>SGD momentum; 0 = plain SGD. Only valid with --optimizer sgd.</summary>
    public double Momentum { get; init; } = 0.0;
    public int BatchSize { get; init; } = 128;
    /// <summary>The maximum number of epochs; early stopping may end sooner.</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Epochs without a better validation accuracy before training stops.</summary>
    public int Patience { get; init; } = 10;
    /// <summary>The fraction of the training data, taken from its end, held out for validation.</summary>
    public double ValidationSplit { get; init; } = 0.2;
    /// <summary>"crossentropy" or "mse".</summary>
    public string Loss { get; init; } = "crossentropy";
    public int Seed { get; init; } = 42;
    /// <summary>Worker threads; 0 = all cores. The result does not depend on it.</summary>
    public int Threads { get; init; }

    public static IReadOnlyList<string> Optimizers { get; } = ["adam", "sgd", "rmsprop"];
    public static IReadOnlyList<string> Losses { get; } = ["crossentropy", "mse"];

    /// <summary>The network these options describe, for MNIST (784 inputs, 10 classes).</summary>
    public MlpSpec ToSpec() => new(Trainer.ImagePixels, Hidden, Activation, Dropout, Trainer.Classes);

    /// <summary>Checks every option; the message names the command-line option.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        ToSpec().Validate();
        if (!Optimizers.Contains(Optimizer))
            throw new ArgumentException($"--optimizer must be adam, sgd or rmsprop, got '{Optimizer}'.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"--learning-rate must be a positive number, got {Format(LearningRate)}.");
        if (!(Momentum >= 0 && Momentum < 1))
            throw new ArgumentException($"--momentum must be in [0, 1), got {Format(Momentum)}.");
        if (Momentum > 0 && Optimizer != "sgd")
            throw new ArgumentException($"--momentum applies only to --optimizer sgd, not {Optimizer}.");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {BatchSize}.");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {Epochs}.");
        if (Patience < 1) throw new ArgumentException($"--patience must be at least 1, got {Patience}.");
        if (!(ValidationSplit > 0 && ValidationSplit < 1))
            throw new ArgumentException($"--validation-split must be greater than 0 and less than 1 (early stopping watches the validation accuracy), got {Format(ValidationSplit)}.");
        if (!Losses.Contains(Loss)) throw new ArgumentException($"--loss must be crossentropy or mse, got '{Loss}'.");
        if (Threads < 0) throw new ArgumentException($"--threads must be 0 (all cores) or more, got {Threads}.");
    }

    /// <summary>The settings as the model report stores them.</summary>
    public Hyperparameters ToHyperparameters() => new()
    {
        Hidden = Hidden.ToArray(),
        Activation = Activation,
        Dropout = Dropout,
        Optimizer = Optimizer,
        LearningRate = LearningRate,
        Momentum = Momentum,
        BatchSize = BatchSize,
        Epochs = Epochs,
        Patience = Patience,
        ValidationSplit = ValidationSplit,
        Loss = Loss,
        Seed = Seed,
        Threads = Threads,
    };

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
