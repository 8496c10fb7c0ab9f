using System.Text.Json;
using MnistService.Core.Imaging;
using MnistService.Core.Network;

namespace MnistService.Core.Training;

/// <summary>The JSON kind a setting's value has in a job file or a request body.</summary>
public enum SettingKind { WholeNumber, Number, WholeNumbers, Choice, Directory }

/// <summary>
/// One setting of <see cref="TrainingSettings"/> (or of a run, as <see cref="TrainLimit"/>) and its name on
/// every surface, all derived from the one property name: <see cref="CliOption"/> (<c>--learning-rate</c>),
/// <see cref="JobKey"/> (<c>learning_rate</c>, also the model report's key) and <see cref="JsonName"/>
/// (<c>learningRate</c>, the HTTP API's).
/// </summary>
public sealed class TrainingSetting
{
    private TrainingSetting(string propertyName, SettingKind kind, IReadOnlyList<string>? choices = null)
    {
        PropertyName = propertyName;
        Kind = kind;
        Choices = choices ?? [];
        CliOption = "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(propertyName);
        JobKey = JsonNamingPolicy.SnakeCaseLower.ConvertName(propertyName);
        JsonName = JsonNamingPolicy.CamelCase.ConvertName(propertyName);
    }

    public static TrainingSetting Hidden { get; } = new(nameof(TrainingSettings.Hidden), SettingKind.WholeNumbers);
    public static TrainingSetting Convolutions { get; } = new(nameof(TrainingSettings.Convolutions), SettingKind.WholeNumbers);
    public static TrainingSetting Activation { get; } = new(nameof(TrainingSettings.Activation), SettingKind.Choice, ChoiceNames.All<ActivationKind>());
    public static TrainingSetting Dropout { get; } = new(nameof(TrainingSettings.Dropout), SettingKind.Number);
    public static TrainingSetting Optimizer { get; } = new(nameof(TrainingSettings.Optimizer), SettingKind.Choice, ChoiceNames.All<OptimizerKind>());
    public static TrainingSetting LearningRate { get; } = new(nameof(TrainingSettings.LearningRate), SettingKind.Number);
    public static TrainingSetting Momentum { get; } = new(nameof(TrainingSettings.Momentum), SettingKind.Number);
    public static TrainingSetting BatchSize { get; } = new(nameof(TrainingSettings.BatchSize), SettingKind.WholeNumber);
    public static TrainingSetting Epochs { get; } = new(nameof(TrainingSettings.Epochs), SettingKind.WholeNumber);
    public static TrainingSetting Patience { get; } = new(nameof(TrainingSettings.Patience), SettingKind.WholeNumber);
    public static TrainingSetting ValidationSplit { get; } = new(nameof(TrainingSettings.ValidationSplit), SettingKind.Number);
    public static TrainingSetting Loss { get; } = new(nameof(TrainingSettings.Loss), SettingKind.Choice, ChoiceNames.All<LossKind>());
    public static TrainingSetting Seed { get; } = new(nameof(TrainingSettings.Seed), SettingKind.WholeNumber);
    public static TrainingSetting Threads { get; } = new(nameof(TrainingSettings.Threads), SettingKind.WholeNumber);
    public static TrainingSetting ExtraData { get; } = new(nameof(TrainingSettings.ExtraData), SettingKind.Directory);
    public static TrainingSetting ExtraWeight { get; } = new(nameof(TrainingSettings.ExtraWeight), SettingKind.WholeNumber);

    // The digit detector trained beside the classifier.
    public static TrainingSetting Detector { get; } = new(nameof(TrainingSettings.Detector), SettingKind.Choice, ChoiceNames.All<DetectorKind>());
    public static TrainingSetting DetectorHidden { get; } = new(nameof(TrainingSettings.DetectorHidden), SettingKind.WholeNumbers);
    public static TrainingSetting DetectorEpochs { get; } = new(nameof(TrainingSettings.DetectorEpochs), SettingKind.WholeNumber);
    public static TrainingSetting DetectorMembers { get; } = new(nameof(TrainingSettings.DetectorMembers), SettingKind.WholeNumber);

    // The recipe: distortions, learning-rate schedule, label smoothing.
    public static TrainingSetting Recipe { get; } = new(nameof(TrainingSettings.Recipe), SettingKind.Choice, ChoiceNames.All<RecipeKind>());
    public static TrainingSetting Augment { get; } = new(nameof(TrainingSettings.Augment), SettingKind.Choice, ChoiceNames.All<AugmentKind>());
    public static TrainingSetting Rotation { get; } = new(nameof(TrainingSettings.Rotation), SettingKind.Number);
    public static TrainingSetting Scale { get; } = new(nameof(TrainingSettings.Scale), SettingKind.Number);
    public static TrainingSetting Shear { get; } = new(nameof(TrainingSettings.Shear), SettingKind.Number);
    public static TrainingSetting Shift { get; } = new(nameof(TrainingSettings.Shift), SettingKind.Number);
    public static TrainingSetting Thickness { get; } = new(nameof(TrainingSettings.Thickness), SettingKind.Number);
    public static TrainingSetting ElasticSigma { get; } = new(nameof(TrainingSettings.ElasticSigma), SettingKind.Number);
    public static TrainingSetting ElasticAlpha { get; } = new(nameof(TrainingSettings.ElasticAlpha), SettingKind.Number);
    public static TrainingSetting LrSchedule { get; } = new(nameof(TrainingSettings.LrSchedule), SettingKind.Choice, ChoiceNames.All<LearningRateScheduleKind>());
    public static TrainingSetting Warmup { get; } = new(nameof(TrainingSettings.Warmup), SettingKind.Number);
    public static TrainingSetting LabelSmoothing { get; } = new(nameof(TrainingSettings.LabelSmoothing), SettingKind.Number);

    /// <summary>The recipe's settings, added after the first report schema: a stored report may lack them (the tutorial's values).</summary>
    public static IReadOnlyList<TrainingSetting> RecipeSettings { get; } =
        [Recipe, Augment, Rotation, Scale, Shear, Shift, Thickness, ElasticSigma, ElasticAlpha, LrSchedule, Warmup, LabelSmoothing];

    /// <summary>Train on the first N training images only: a setting of the run, not of the model (the report does not keep it).</summary>
    public static TrainingSetting TrainLimit { get; } = new("TrainLimit", SettingKind.WholeNumber);

    /// <summary>The settings of <see cref="TrainingSettings"/>, in its order.</summary>
    public static IReadOnlyList<TrainingSetting> All { get; } =
        [Hidden, Convolutions, Activation, Dropout, Optimizer, LearningRate, Momentum, BatchSize, Epochs, Patience, ValidationSplit, Loss, Seed, Threads,
        Detector, DetectorHidden, DetectorEpochs, DetectorMembers,
            ExtraData, ExtraWeight, .. RecipeSettings];

    /// <summary>The C# property, e.g. <c>LearningRate</c>.</summary>
    public string PropertyName { get; }
    /// <summary>The command-line option, e.g. <c>--learning-rate</c>.</summary>
    public string CliOption { get; }
    /// <summary>The job file's key and the stored report's field, e.g. <c>learning_rate</c>.</summary>
    public string JobKey { get; }
    /// <summary>The camelCase field of the HTTP API and of printed reports, e.g. <c>learningRate</c>.</summary>
    public string JsonName { get; }
    public SettingKind Kind { get; }
    /// <summary>The allowed names of a <see cref="SettingKind.Choice"/>, e.g. relu, sigmoid, tanh.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>What a value must be, for a message: "a whole number", "one of relu, sigmoid, tanh".</summary>
    public string Expected => Kind switch
    {
        SettingKind.WholeNumber => "a whole number",
        SettingKind.Number => "a number",
        SettingKind.WholeNumbers => "a list of whole numbers, e.g. [256, 128]",
        SettingKind.Directory => "a directory path, as text",
        _ => "one of " + string.Join(", ", Choices),
    };

    /// <summary>
    /// Null when <paramref name="value"/> is of this setting's JSON kind (a whole number, a list of them,
    /// one of the choice names...), else the error, in words that name no .NET type. Ranges are
    /// <see cref="TrainingSettings.Validate"/>'s.
    /// </summary>
    public SettingError? CheckJsonKind(JsonElement value)
    {
        var fits = Kind switch
        {
            SettingKind.WholeNumber => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
            SettingKind.Number => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number),
            SettingKind.WholeNumbers => value.ValueKind == JsonValueKind.Array
                                        && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)),
            SettingKind.Directory => value.ValueKind is JsonValueKind.String or JsonValueKind.Null,
            _ => value.ValueKind == JsonValueKind.String && Choices.Contains(value.GetString()),
        };
        return fits ? null : new SettingError(this, $"must be {Expected}, got {Show(value)}.");
    }

    /// <summary>A JSON value as a message shows it: the value itself when short (<c>"ten"</c>, <c>2.5</c>), else its kind.</summary>
    public static string Show(JsonElement value)
    {
        var text = value.GetRawText();
        return value.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            _ when text.Length <= 40 => text,
            JsonValueKind.Array => "a long list",
            JsonValueKind.String => "a long text",
            _ => "a long number",
        };
    }

    public override string ToString() => PropertyName;
}

/// <summary>
/// What is wrong with one setting. <see cref="Message"/> does not name the setting ("must be 1-1000, got 0."):
/// each surface puts its own name in front (<c>--epochs</c>, <c>epochs</c>, or an API field error for <c>epochs</c>).
/// </summary>
public sealed record SettingError(TrainingSetting Setting, string Message)
{
    /// <summary>The error with the setting named by <paramref name="name"/>, e.g. <c>e => e.CliOption</c>.</summary>
    public string Describe(Func<TrainingSetting, string> name) => $"{name(Setting)} {Message}";
}

/// <summary>Settings that cannot train; <see cref="Errors"/> says which and why, for the caller to word.</summary>
public sealed class TrainingSettingsException(IReadOnlyList<SettingError> errors)
    : ArgumentException(string.Join(" ", errors.Select(e => e.Describe(s => s.JobKey))))
{
    public IReadOnlyList<SettingError> Errors { get; } = errors;
}
