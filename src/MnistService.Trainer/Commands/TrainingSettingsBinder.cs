using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Training;

namespace MnistService.Trainer.Commands;

/// <summary>
/// The command-line options that make a <see cref="TrainingSettings"/>: each named by its
/// <see cref="TrainingSetting.CliOption"/>. <c>--recipe</c> picks the starting settings (help shows the
/// default recipe's), and every option typed beside it replaces one of them (<see cref="TrainingRecipes.Build"/>).
/// </summary>
public sealed class TrainingSettingsBinder
{
    private static readonly TrainingSettings Defaults = TrainingRecipes.For(TrainingRecipes.Default);

    public Option<LayerWidths> Hidden { get; } = Widths(TrainingSetting.Hidden, "Hidden layer widths, comma-separated", Defaults.Hidden);
    public Option<LayerWidths> Convolutions { get; } = Widths(TrainingSetting.Convolutions,
        "Channels of each 5x5 convolution block (convolution, activation, 2x2 max pooling) before the hidden layers, comma-separated; none by default",
        Defaults.Convolutions, helpName: "16,32");
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
    public Option<LayerWidths> DetectorHidden { get; } = Widths(TrainingSetting.DetectorHidden, "The detector network's hidden widths, comma-separated", Defaults.DetectorHidden);
    public Option<int> DetectorEpochs { get; } = new(TrainingSetting.DetectorEpochs.CliOption) { Description = "The detector's training epochs", DefaultValueFactory = _ => Defaults.DetectorEpochs };
    public Option<int> DetectorMembers { get; } = new(TrainingSetting.DetectorMembers.CliOption) { Description = "How many discriminators the detector averages", DefaultValueFactory = _ => Defaults.DetectorMembers };

    // Extra training data.
    public Option<string?> ExtraData { get; } = new(TrainingSetting.ExtraData.CliOption) { Description = "Also train on the digits in DIR (IDX files, as mnist-train feedback export writes them)", HelpName = "DIR" };
    public Option<int> ExtraWeight { get; } = new(TrainingSetting.ExtraWeight.CliOption) { Description = $"Times each --extra-data image is trained on per epoch (1-{TrainingSettings.MaxExtraWeight})", DefaultValueFactory = _ => Defaults.ExtraWeight };

    // The recipe: which one to start from, distortions, learning-rate schedule, label smoothing.
    public Option<string> Recipe { get; } = Choice(TrainingSetting.Recipe,
        "Starting settings: distorted (99 %: distortions, one-cycle schedule, label smoothing) or tutorial (the tutorial's Keras training); options given beside it replace its values",
        ChoiceNames.Of(TrainingRecipes.Default));
    public Option<string> Augment { get; } = Choice(TrainingSetting.Augment, "Distort each training image afresh every epoch: none, affine, or elastic (affine plus a smoothed random displacement field)", ChoiceNames.Of(Defaults.Augment));
    public Option<double> Rotation { get; } = Number(TrainingSetting.Rotation, "Rotation range, degrees either way", Defaults.Rotation);
    public Option<double> Scale { get; } = Number(TrainingSetting.Scale, "Scale range, relative, either way (0.08: 0.92-1.08)", Defaults.Scale);
    public Option<double> Shear { get; } = Number(TrainingSetting.Shear, "Shear range, degrees either way", Defaults.Shear);
    public Option<double> Shift { get; } = Number(TrainingSetting.Shift, "Shift range, pixels either way", Defaults.Shift);
    public Option<double> Thickness { get; } = Number(TrainingSetting.Thickness, "Stroke-width range: pixels either way by which strokes are widened or narrowed on each side", Defaults.Thickness);
    public Option<double> ElasticSigma { get; } = Number(TrainingSetting.ElasticSigma, "Smoothing of the elastic field, pixels (Simard's sigma)", Defaults.ElasticSigma);
    public Option<double> ElasticAlpha { get; } = Number(TrainingSetting.ElasticAlpha, "Strength of the elastic field, pixels (Simard's alpha)", Defaults.ElasticAlpha);
    public Option<string> LrSchedule { get; } = Choice(TrainingSetting.LrSchedule, "Learning-rate schedule, peaking at --learning-rate", ChoiceNames.Of(Defaults.LrSchedule));
    public Option<double> Warmup { get; } = Number(TrainingSetting.Warmup, "Fraction of the training steps that rise to the peak learning rate", Defaults.Warmup);
    public Option<double> LabelSmoothing { get; } = Number(TrainingSetting.LabelSmoothing, "Label smoothing of the cross-entropy targets (Keras's meaning)", Defaults.LabelSmoothing);

    public IEnumerable<Option> All => [.. Options.Select(o => o.Option), NoDetector];

    /// <summary>Every option with its setting, in <see cref="TrainingSetting.All"/>'s order.</summary>
    private IEnumerable<(TrainingSetting Setting, Option Option)> Options =>
    [
        (TrainingSetting.Hidden, Hidden), (TrainingSetting.Convolutions, Convolutions), (TrainingSetting.Activation, Activation), (TrainingSetting.Dropout, Dropout),
        (TrainingSetting.Optimizer, Optimizer), (TrainingSetting.LearningRate, LearningRate), (TrainingSetting.Momentum, Momentum),
        (TrainingSetting.BatchSize, BatchSize), (TrainingSetting.Epochs, Epochs), (TrainingSetting.Patience, Patience),
        (TrainingSetting.ValidationSplit, ValidationSplit), (TrainingSetting.Loss, Loss), (TrainingSetting.Seed, Seed),
        (TrainingSetting.Threads, Threads),
        (TrainingSetting.Detector, Detector), (TrainingSetting.DetectorHidden, DetectorHidden), (TrainingSetting.DetectorEpochs, DetectorEpochs),
        (TrainingSetting.DetectorMembers, DetectorMembers),
        (TrainingSetting.ExtraData, ExtraData), (TrainingSetting.ExtraWeight, ExtraWeight),
        (TrainingSetting.Recipe, Recipe), (TrainingSetting.Augment, Augment), (TrainingSetting.Rotation, Rotation),
        (TrainingSetting.Scale, Scale), (TrainingSetting.Shear, Shear), (TrainingSetting.Shift, Shift), (TrainingSetting.Thickness, Thickness),
        (TrainingSetting.ElasticSigma, ElasticSigma), (TrainingSetting.ElasticAlpha, ElasticAlpha),
        (TrainingSetting.LrSchedule, LrSchedule), (TrainingSetting.Warmup, Warmup), (TrainingSetting.LabelSmoothing, LabelSmoothing),
    ];

    /// <summary>The recipe's settings with every option typed on the command line in their place.</summary>
    public TrainingSettings Bind(ParseResult parse)
    {
        var given = new JsonObject();
        foreach (var (setting, option) in Options)
        {
            if (parse.GetResult(option) is { Implicit: false } result)
            {
                given[setting.JobKey] = result.GetValueOrDefault<object>() switch
                {
                    LayerWidths widths => JsonSerializer.SerializeToNode(widths.Widths),
                    int number => JsonValue.Create(number),
                    double number => JsonValue.Create(number),
                    string path when setting == TrainingSetting.ExtraData => JsonValue.Create(Path.GetFullPath(path)),
                    string name => JsonValue.Create(name),
                    var other => throw new InvalidOperationException($"{setting.CliOption} has a value of unexpected type {other?.GetType().Name}."),
                };
            }
        }
        if (parse.GetValue(NoDetector))
        {
            given[TrainingSetting.Detector.JobKey] = ChoiceNames.Of(DetectorKind.None);
        }
        return TrainingRecipes.Build(given);
    }

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

    private static Option<double> Number(TrainingSetting setting, string description, double defaultValue) =>
        new(setting.CliOption) { Description = description, DefaultValueFactory = _ => defaultValue };

    private static Option<LayerWidths> Widths(TrainingSetting setting, string description, IReadOnlyList<int> defaults, string? helpName = null) =>
        new(setting.CliOption)
        {
            Description = description,
            DefaultValueFactory = _ => new LayerWidths([.. defaults]),
            CustomParser = result => ParseWidths(result, setting),
            HelpName = helpName ?? string.Join(',', defaults),
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
