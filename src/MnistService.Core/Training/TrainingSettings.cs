using System.Globalization;
using MnistService.Core.Imaging;
using MnistService.Core.Network;

namespace MnistService.Core.Training;

/// <summary>
/// Every setting of a training run: what <c>mnist-train train</c> takes as options, a job file as keys,
/// and a model's report stores as its hyperparameters. The record's defaults are the tutorial's recipe
/// (<see cref="TrainingRecipes.Tutorial"/>), so a report written before recipes existed reads as one;
/// the trainer's own defaults are <see cref="TrainingRecipes.Default"/>'s.
/// <see cref="TrainingSetting"/> names each one for every surface.
/// </summary>
public sealed record TrainingSettings
{
    public const int MaxHiddenWidth = 4096;
    /// <summary>Convolution blocks: each halves the image, 28 → 14 → 7 → 3.</summary>
    public const int MaxConvolutions = 3;
    public const int MaxChannels = 256;
    public const int MaxBatchSize = 60_000;
    public const int MaxEpochs = 1000;
    public const int MaxThreads = 1024;
    /// <summary>One training and one validation image.</summary>
    public const int MinTrainLimit = 2;
    /// <summary>The MNIST training set.</summary>
    public const int MaxTrainLimit = 60_000;

    /// <summary>Hidden layer widths, input side first.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [256, 128];
    /// <summary>Channels of each 5×5 convolution block (convolution, activation, 2×2 max pooling) before the hidden layers; empty = none.</summary>
    public IReadOnlyList<int> Convolutions { get; init; } = [];
    /// <summary>The activation of every hidden layer.</summary>
    public ActivationKind Activation { get; init; } = ActivationKind.Relu;
    /// <summary>Dropout rate after the first hidden layer; 0 = none.</summary>
    public double Dropout { get; init; } = 0.3;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    public double LearningRate { get; init; } = 0.001;
    /// <summary>SGD momentum; 0 = plain SGD. Only valid with the sgd optimizer.</summary>
    public double Momentum { get; init; }
    public int BatchSize { get; init; } = 128;
    /// <summary>The maximum number of epochs; early stopping may end sooner.</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Epochs without a better validation accuracy before training stops.</summary>
    public int Patience { get; init; } = 10;
    /// <summary>The fraction of the training data, taken from its end, held out for validation.</summary>
    public double ValidationSplit { get; init; } = 0.2;
    public LossKind Loss { get; init; } = LossKind.CrossEntropy;
    public int Seed { get; init; } = 42;
    /// <summary>
    /// Worker threads of the matrix products; 0 = all cores. The batches (shuffled, distorted) are made beside
    /// them on one thread more. The result does not depend on it.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>The digit detector trained after the classifier; none = a model without digit_score.</summary>
    public DetectorKind Detector { get; init; } = DetectorKind.Discriminator;
    /// <summary>The detector network's hidden widths (784 → these → 1 or 784).</summary>
    public IReadOnlyList<int> DetectorHidden { get; init; } = [DetectorDefaults.Hidden];
    /// <summary>The detector's training epochs (the last epoch's weights are kept).</summary>
    public int DetectorEpochs { get; init; } = DetectorDefaults.Epochs;
    /// <summary>How many discriminators are trained (each from its own seed) and averaged into the one detector.</summary>
    public int DetectorMembers { get; init; } = DetectorDefaults.Members;

    // Extra training data: people's corrections (mnist-train feedback export), trained on beside MNIST.
    /// <summary>A directory of extra training images as MNIST's IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte); null = MNIST only.</summary>
    public string? ExtraData { get; init; }
    /// <summary>How many times each extra image is trained on per epoch (it is repeated in the training set).</summary>
    public int ExtraWeight { get; init; } = 1;
    public const int MaxExtraWeight = 100;

    // The recipe: which one the settings started from, distortions of the training images, the
    // learning-rate schedule and label smoothing.
    public const double MaxRotation = 45, MaxScale = 0.5, MaxShear = 45, MaxShift = 8, MaxThickness = 1, MaxElasticSigma = 10, MaxElasticAlpha = 100;

    /// <summary>The recipe these settings started from (options given beside it override its values).</summary>
    public RecipeKind Recipe { get; init; } = RecipeKind.Tutorial;
    /// <summary>Distortion of each training image, drawn afresh every epoch; validation and test images stay as they are.</summary>
    public AugmentKind Augment { get; init; } = AugmentKind.None;
    /// <summary>Degrees either way.</summary>
    public double Rotation { get; init; } = 10;
    /// <summary>Relative size change either way (0.08: a factor in 0.92-1.08).</summary>
    public double Scale { get; init; } = 0.08;
    /// <summary>Degrees of horizontal shear either way.</summary>
    public double Shear { get; init; } = 6;
    /// <summary>Pixels of shift either way, in each direction.</summary>
    public double Shift { get; init; } = 2;
    /// <summary>Pixels either way by which the strokes are widened or narrowed on each side, as by another pen.</summary>
    public double Thickness { get; init; }
    /// <summary>Smoothing of the elastic displacement field, in pixels (Simard's σ).</summary>
    public double ElasticSigma { get; init; } = 4;
    /// <summary>Strength of the elastic displacement field, in pixels (Simard's α).</summary>
    public double ElasticAlpha { get; init; } = 34;
    public LearningRateScheduleKind LrSchedule { get; init; } = LearningRateScheduleKind.Constant;
    /// <summary>The fraction of the run's steps that rise to the peak learning rate (<see cref="LearningRate"/>).</summary>
    public double Warmup { get; init; }
    /// <summary>Keras's label_smoothing: the targets are (1 - ε)·one-hot + ε/10 (cross-entropy only).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>The distortion ranges these settings name.</summary>
    public DistortionRanges ToDistortionRanges() => new(Rotation, Scale, Shear, Shift, Thickness, ElasticSigma, ElasticAlpha);

    /// <summary>The network these settings describe, for MNIST (784 inputs, 10 classes).</summary>
    public MlpSpec ToSpec() => new(Trainer.ImagePixels, Hidden, Activation, Dropout, Trainer.Classes, Convolutions);

    /// <summary>
    /// Every setting out of range, by setting; empty when the settings can train. The messages leave the
    /// setting's name to the caller, who words it as its surface names it (see <see cref="SettingError"/>).
    /// </summary>
    public IReadOnlyList<SettingError> Validate()
    {
        var errors = new List<SettingError>();
        void Add(TrainingSetting setting, string message) => errors.Add(new SettingError(setting, message));

        CheckWidths(TrainingSetting.Hidden, Hidden);
        if (Convolutions is null)
        {
            Add(TrainingSetting.Convolutions, "needs a list of channels, one a block ([] for none).");
        }
        else if (Convolutions.Count > MaxConvolutions)
        {
            Add(TrainingSetting.Convolutions, $"may name at most {MaxConvolutions} blocks (each halves the 28-pixel image), got {Convolutions.Count}.");
        }
        else if (Convolutions.Where(channels => channels is < 1 or > MaxChannels).Take(1).ToList() is [var channels])
        {
            Add(TrainingSetting.Convolutions, $"channels must be 1-{MaxChannels}, got {channels}.");
        }
        else if (Convolutions.Count > 0 && Detector == DetectorKind.Autoencoder)
        {
            Add(TrainingSetting.Detector, $"must be discriminator or none with {TrainingSetting.Convolutions.JobKey}: the autoencoder is for multi-layer perceptrons.");
        }
        CheckChoice(TrainingSetting.Activation, Activation);
        if (!(Dropout is >= 0 and < 1))
        {
            Add(TrainingSetting.Dropout, $"must be at least 0 and below 1, got {Format(Dropout)}.");
        }
        CheckChoice(TrainingSetting.Optimizer, Optimizer);
        if (!(LearningRate > 0 && double.IsFinite(LearningRate)))
        {
            Add(TrainingSetting.LearningRate, $"must be a positive number, got {Format(LearningRate)}.");
        }
        if (!(Momentum is >= 0 and < 1))
        {
            Add(TrainingSetting.Momentum, $"must be at least 0 and below 1, got {Format(Momentum)}.");
        }
        else if (Momentum > 0 && Optimizer != OptimizerKind.Sgd && Enum.IsDefined(Optimizer))
        {
            Add(TrainingSetting.Momentum, $"applies only to the sgd optimizer, not {ChoiceNames.Of(Optimizer)}.");
        }
        if (BatchSize is < 1 or > MaxBatchSize)
        {
            Add(TrainingSetting.BatchSize, $"must be 1-{MaxBatchSize}, got {BatchSize}.");
        }
        if (Epochs is < 1 or > MaxEpochs)
        {
            Add(TrainingSetting.Epochs, $"must be 1-{MaxEpochs}, got {Epochs}.");
        }
        if (Patience < 1)
        {
            Add(TrainingSetting.Patience, $"must be at least 1, got {Patience}.");
        }
        if (!(ValidationSplit is > 0 and < 1))
        {
            Add(TrainingSetting.ValidationSplit,
                $"must be above 0 and below 1 (early stopping watches the validation accuracy), got {Format(ValidationSplit)}.");
        }
        CheckChoice(TrainingSetting.Loss, Loss);
        if (Threads is < 0 or > MaxThreads)
        {
            Add(TrainingSetting.Threads, $"must be 0 (every core) to {MaxThreads}, got {Threads}.");
        }
        CheckChoice(TrainingSetting.Detector, Detector);
        CheckWidths(TrainingSetting.DetectorHidden, DetectorHidden);
        if (DetectorEpochs is < 1 or > MaxEpochs)
        {
            Add(TrainingSetting.DetectorEpochs, $"must be 1-{MaxEpochs}, got {DetectorEpochs}.");
        }
        if (DetectorMembers is < 1 or > DetectorDefaults.MaxMembers)
        {
            Add(TrainingSetting.DetectorMembers, $"must be 1-{DetectorDefaults.MaxMembers}, got {DetectorMembers}.");
        }
        if (ExtraWeight is < 1 or > MaxExtraWeight)
        {
            Add(TrainingSetting.ExtraWeight, $"must be 1-{MaxExtraWeight}, got {ExtraWeight}.");
        }
        else if (ExtraWeight != 1 && string.IsNullOrEmpty(ExtraData))
        {
            Add(TrainingSetting.ExtraWeight, $"applies only with {TrainingSetting.ExtraData.JobKey} (a directory of extra images).");
        }

        CheckChoice(TrainingSetting.Recipe, Recipe);
        CheckChoice(TrainingSetting.Augment, Augment);
        CheckRange(TrainingSetting.Rotation, Rotation, 0, MaxRotation, "degrees");
        CheckRange(TrainingSetting.Scale, Scale, 0, MaxScale, "(a relative change)");
        CheckRange(TrainingSetting.Shear, Shear, 0, MaxShear, "degrees");
        CheckRange(TrainingSetting.Shift, Shift, 0, MaxShift, "pixels");
        CheckRange(TrainingSetting.Thickness, Thickness, 0, MaxThickness, "pixels");
        if (!(ElasticSigma is > 0 and <= MaxElasticSigma))
        {
            Add(TrainingSetting.ElasticSigma, $"must be above 0 and at most {Format(MaxElasticSigma)} pixels, got {Format(ElasticSigma)}.");
        }
        CheckRange(TrainingSetting.ElasticAlpha, ElasticAlpha, 0, MaxElasticAlpha, "pixels");
        CheckChoice(TrainingSetting.LrSchedule, LrSchedule);
        if (!(Warmup is >= 0 and < 1))
        {
            Add(TrainingSetting.Warmup, $"must be at least 0 and below 1 (a fraction of the training steps), got {Format(Warmup)}.");
        }
        if (!(LabelSmoothing is >= 0 and < 1))
        {
            Add(TrainingSetting.LabelSmoothing, $"must be at least 0 and below 1, got {Format(LabelSmoothing)}.");
        }
        else if (LabelSmoothing > 0 && Loss != LossKind.CrossEntropy && Enum.IsDefined(Loss))
        {
            Add(TrainingSetting.LabelSmoothing, $"applies only to the crossentropy loss, not {ChoiceNames.Of(Loss)}.");
        }
        return errors;

        void CheckWidths(TrainingSetting setting, IReadOnlyList<int>? widths)
        {
            if (widths is null || widths.Count == 0)
            {
                Add(setting, "needs at least one layer width.");
            }
            else if (widths.Where(width => width is < 1 or > MaxHiddenWidth).Take(1).ToList() is [var bad])
            {
                Add(setting, $"widths must be 1-{MaxHiddenWidth}, got {bad}.");
            }
        }
        void CheckRange(TrainingSetting setting, double value, double low, double high, string unit)
        {
            if (!(value >= low && value <= high))
            {
                Add(setting, $"must be {Format(low)}-{Format(high)} {unit}, got {Format(value)}.");
            }
        }

        void CheckChoice<T>(TrainingSetting setting, T value) where T : struct, Enum
        {
            if (!Enum.IsDefined(value))
            {
                Add(setting, $"must be one of {string.Join(", ", ChoiceNames.All<T>())}, got {Convert.ToInt32(value, CultureInfo.InvariantCulture)}.");
            }
        }
    }

    /// <exception cref="TrainingSettingsException">A setting is out of range.</exception>
    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new TrainingSettingsException(errors);
        }
    }

    /// <summary>The range of a run's training-image limit (<see cref="TrainingSetting.TrainLimit"/>); null = all images.</summary>
    public static IReadOnlyList<SettingError> ValidateTrainLimit(int? trainLimit) =>
        trainLimit is < MinTrainLimit or > MaxTrainLimit
            ? [new SettingError(TrainingSetting.TrainLimit,
                $"must be {MinTrainLimit}-{MaxTrainLimit} (at least one training and one validation image), got {trainLimit}.")]
            : [];

    internal static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
