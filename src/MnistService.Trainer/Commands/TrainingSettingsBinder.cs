using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using MnistService.Core.Network;
using MnistService.Core.Training;

namespace MnistService.Trainer.Commands;

/// <summary>
/// The command-line options that make a <see cref="TrainingSettings"/>: each named by its
/// <see cref="TrainingSetting.CliOption"/> and defaulted from the record itself, so none can disagree.
/// </summary>
public sealed class TrainingSettingsBinder
{
    private static readonly TrainingSettings Defaults = new();

    public Option<LayerWidths> Hidden { get; } = Widths(TrainingSetting.Hidden, "Hidden layer widths, comma-separated", Defaults.Hidden);
    public Option<string> Activation { get; } = Choice(TrainingSetting.Activation, "Activation of the hidden layers", ChoiceNames.Of(Defaults.Activation));
    public Option<double> Dropout { get; } = new(TrainingSetting.Dropout.CliOption) { Description = "Dropout rate after the first hidden layer (0 = none)", DefaultValueFactory = _ => Defaults.Dropout };
    public Option<string> Optimizer { get; } = Choice(TrainingSetting.Optimizer, "Optimizer", ChoiceNames.Of(Defaults.Optimizer));
    public Option<double> LearningRate { get; } = new(TrainingSetting.LearningRate.CliOption) { Description = "Learning rate", DefaultValueFactory = _ => Defaults.LearningRate };
    public Option<double> Momentum { get; } = new(TrainingSetting.Momentum.CliOption) { Description = "SGD momentum (0 = plain SGD)", DefaultValueFactory = _ => Defaults.Momentum };
    public Option<int> BatchSize { get; } = new(TrainingSetting.BatchSize.CliOption) { Description = "Images per gradient step", DefaultValueFactory = _ => Defaults.BatchSize };
    public Option<int> Epochs { get; } = new(TrainingSetting.Epochs.CliOption) { Description = "Maximum number of epochs", DefaultValueFactory = _ => Defaults.Epochs };
    public Option<int> Patience { get; } = new(TrainingSetting.Patience.CliOption) { Description = "Epochs without a better validation accuracy before stopping", DefaultValueFactory = _ => Defaults.Patience };
    public Option<double> ValidationSplit { get; } = new(TrainingSetting.ValidationSplit.CliOption) { Description = "Fraction of the training data, from its end, held out for validation", DefaultValueFactory = _ => Defaults.ValidationSplit };
    public Option<string> Loss { get; } = Choice(TrainingSetting.Loss, "Loss function", ChoiceNames.Of(Defaults.Loss));
    public Option<int> Seed { get; } = new(TrainingSetting.Seed.CliOption) { Description = "Seed for every random choice (same seed, same model)", DefaultValueFactory = _ => Defaults.Seed };
    public Option<int> Threads { get; } = new(TrainingSetting.Threads.CliOption) { Description = "Worker threads, 0 = all cores (does not change the result)", DefaultValueFactory = _ => Defaults.Threads };

    // The digit detector.
    public Option<string> Detector { get; } = Choice(TrainingSetting.Detector, "How the model tells digits from non-digits (none: no detector)", ChoiceNames.Of(Defaults.Detector));
    public Option<bool> NoDetector { get; } = new("--no-detector") { Description = $"Train no detector (the same as {TrainingSetting.Detector.CliOption} none)" };
    public Option<LayerWidths> DetectorHidden { get; } = Widths(TrainingSetting.DetectorHidden, "The detector autoencoder's hidden widths, comma-separated", Defaults.DetectorHidden);
    public Option<int> DetectorEpochs { get; } = new(TrainingSetting.DetectorEpochs.CliOption) { Description = "The detector's training epochs", DefaultValueFactory = _ => Defaults.DetectorEpochs };

    // Extra training data.
    public Option<string?> ExtraData { get; } = new(TrainingSetting.ExtraData.CliOption) { Description = "Also train on the digits in DIR (IDX files, as mnist-train feedback export writes them)", HelpName = "DIR" };
    public Option<int> ExtraWeight { get; } = new(TrainingSetting.ExtraWeight.CliOption) { Description = $"Times each --extra-data image is trained on per epoch (1-{TrainingSettings.MaxExtraWeight})", DefaultValueFactory = _ => Defaults.ExtraWeight };

    public IEnumerable<Option> All => [Hidden, Activation, Dropout, Optimizer, LearningRate, Momentum, BatchSize, Epochs, Patience, ValidationSplit, Loss, Seed, Threads,
        Detector, NoDetector, DetectorHidden, DetectorEpochs,
        ExtraData, ExtraWeight];

    public TrainingSettings Bind(ParseResult parse) => new()
    {
        Hidden = parse.GetRequiredValue(Hidden).Widths,
        Activation = Parse<ActivationKind>(parse.GetRequiredValue(Activation)),
        Dropout = parse.GetValue(Dropout),
        Optimizer = Parse<OptimizerKind>(parse.GetRequiredValue(Optimizer)),
        LearningRate = parse.GetValue(LearningRate),
        Momentum = parse.GetValue(Momentum),
        BatchSize = parse.GetValue(BatchSize),
        Epochs = parse.GetValue(Epochs),
        Patience = parse.GetValue(Patience),
        ValidationSplit = parse.GetValue(ValidationSplit),
        Loss = Parse<LossKind>(parse.GetRequiredValue(Loss)),
        Seed = parse.GetValue(Seed),
        Threads = parse.GetValue(Threads),
        Detector = parse.GetValue(NoDetector) ? DetectorKind.None : Parse<DetectorKind>(parse.GetRequiredValue(Detector)),
        DetectorHidden = parse.GetRequiredValue(DetectorHidden).Widths,
        DetectorEpochs = parse.GetValue(DetectorEpochs),
        ExtraData = parse.GetValue(ExtraData) is { Length: > 0 } extra ? Path.GetFullPath(extra) : null,
        ExtraWeight = parse.GetValue(ExtraWeight),
    };

    /// <summary>
    /// The widths as one value, not a list: the help prints a list's default as "256|128", this one
    /// as it is typed, "256,128".
    /// </summary>
    public sealed record LayerWidths(int[] Widths)
    {
        public override string ToString() => string.Join(',', Widths);
    }

    private static Option<string> Choice(TrainingSetting setting, string description, string defaultName) =>
        new Option<string>(setting.CliOption)
        {
            Description = description,
            DefaultValueFactory = _ => defaultName,
        }.AcceptOnlyFromAmong([.. setting.Choices]);

    // AcceptOnlyFromAmong has already refused any other name.
    private static T Parse<T>(string name) where T : struct, Enum =>
        ChoiceNames.TryParse(name, out T value) ? value : throw new InvalidOperationException($"'{name}' passed the parser's check.");

    private static Option<LayerWidths> Widths(TrainingSetting setting, string description, IReadOnlyList<int> defaults) => new(setting.CliOption)
    {
        Description = description,
        DefaultValueFactory = _ => new LayerWidths([.. defaults]),
        CustomParser = result => ParseWidths(result, setting),
        HelpName = string.Join(',', defaults),
    };

    private static LayerWidths ParseWidths(ArgumentResult result, TrainingSetting setting)
    {
        var text = string.Join(",", result.Tokens.Select(t => t.Value));
        var widths = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var width) || width < 1)
            {
                result.AddError($"{setting.CliOption} takes positive layer widths separated by commas (e.g. 256,128); '{part}' is not one.");
                return new LayerWidths([]);
            }
            widths.Add(width);
        }
        if (widths.Count == 0)
        {
            result.AddError($"{setting.CliOption} needs at least one layer width (e.g. 256,128).");
        }
        return new LayerWidths([.. widths]);
    }
}
