using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MnistService.Core.Network;
using MnistService.Core.Training;

namespace MnistService.Trainer.Worker;

/// <summary>
/// One training job, as dropped into <c>MODELS/jobs/NAME.json</c>: the settings of
/// <c>mnist-train train</c> (snake_case, as the model report names them) plus the model to write.
/// Every setting is optional; the defaults are the CLI's (the tutorial's model with dropout).
/// </summary>
/// <example><code>{ "model": "mnist-small", "hidden": [64], "epochs": 3, "train_limit": 6000 }</code></example>
public sealed partial record TrainingJob
{
    /// <summary>The model's name: the worker writes <c>MODELS/{Model}.onnx</c>. Defaults to the job's name.</summary>
    public string? Model { get; init; }
    // The CLI's defaults, taken from TrainingOptions itself so that the two never disagree.
    public IReadOnlyList<int> Hidden { get; init; } = Defaults.Hidden;
    public string Activation { get; init; } = Defaults.Activation;
    public double Dropout { get; init; } = Defaults.Dropout;
    public string Optimizer { get; init; } = Defaults.Optimizer;
    public double LearningRate { get; init; } = Defaults.LearningRate;
    /// <summary>SGD momentum; 0 is plain SGD.</summary>
    public double Momentum { get; init; } = Defaults.Momentum;
    public int BatchSize { get; init; } = Defaults.BatchSize;
    /// <summary>At most this many epochs; early stopping may end sooner.</summary>
    public int Epochs { get; init; } = Defaults.Epochs;
    public int Patience { get; init; } = Defaults.Patience;
    public double ValidationSplit { get; init; } = Defaults.ValidationSplit;
    public string Loss { get; init; } = Defaults.Loss;
    public int Seed { get; init; } = Defaults.Seed;
    /// <summary>Training threads; 0 uses every core (the result does not depend on it).</summary>
    public int Threads { get; init; } = Defaults.Threads;
    /// <summary>Train on the first N training images only (quick jobs; the CLI's --train-limit); null uses all 60,000.</summary>
    public int? TrainLimit { get; init; }
    /// <summary>Allow replacing an existing model of the same name (the service swaps it in).</summary>
    public bool Replace { get; init; }

    private static readonly TrainingOptions Defaults = new();
    private static readonly IReadOnlyList<string> Activations = MlpSpec.Activations;
    private static readonly IReadOnlyList<string> Optimizers = TrainingOptions.Optimizers;
    private static readonly IReadOnlyList<string> Losses = TrainingOptions.Losses;

    /// <summary>snake_case names; an unknown setting is an error, so a typo never trains with a default.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>Parses and validates a job file's text; <paramref name="jobName"/> names the model when the job does not.</summary>
    /// <exception cref="InvalidJobException">The text is not a job, or a setting is out of range (the message says which).</exception>
    public static TrainingJob Parse(string json, string jobName)
    {
        TrainingJob? job;
        try
        {
            job = JsonSerializer.Deserialize<TrainingJob>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidJobException($"The job file is not a valid job: {e.Message}");
        }
        if (job is null)
            throw new InvalidJobException("The job file is empty (JSON null); expected an object of settings.");

        job = job with { Model = job.Model ?? jobName };
        var errors = job.Validate();
        if (errors.Count > 0)
            throw new InvalidJobException(string.Join(" ", errors));
        try
        {
            // The trainer's own checks too (e.g. momentum with an optimizer other than sgd).
            job.ToTrainingOptions().Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidJobException(e.Message);
        }
        return job;
    }

    public TrainingOptions ToTrainingOptions() => new()
    {
        Hidden = Hidden, Activation = Activation, Dropout = Dropout, Optimizer = Optimizer,
        LearningRate = LearningRate, Momentum = Momentum, BatchSize = BatchSize, Epochs = Epochs,
        Patience = Patience, ValidationSplit = ValidationSplit, Loss = Loss, Seed = Seed, Threads = Threads,
    };

    /// <summary>The file the model is written to, relative to the models directory.</summary>
    public string ModelFileName => ModelName + ".onnx";

    /// <summary>The model's name without the <c>.onnx</c> suffix.</summary>
    public string ModelName
    {
        get
        {
            var name = Model ?? throw new InvalidOperationException("The job has no model name.");
            return name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? name[..^5] : name;
        }
    }

    /// <summary>
    /// Every problem with the settings, one sentence each, named as the job file names them; empty when
    /// the job can run. The ranges are TrainingOptions.Validate's (which Parse also runs, as the last word)
    /// plus upper bounds that keep one job from taking the worker's memory or time.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Model is null || !ModelNamePattern().IsMatch(ModelName))
            errors.Add($"model '{Model}' must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        if (Hidden is null || Hidden.Count == 0 || Hidden.Any(units => units is < 1 or > 4096))
            errors.Add("hidden must list 1 or more layer widths, each 1-4096.");
        Check(Activations, Activation, "activation");
        Check(Optimizers, Optimizer, "optimizer");
        Check(Losses, Loss, "loss");
        if (!(Dropout is >= 0 and < 1))
            errors.Add($"dropout {Dropout} must be at least 0 and below 1.");
        if (!(LearningRate > 0 && double.IsFinite(LearningRate)))
            errors.Add($"learning_rate {LearningRate} must be a positive number.");
        if (!(Momentum is >= 0 and < 1))
            errors.Add($"momentum {Momentum} must be at least 0 and below 1.");
        if (BatchSize is < 1 or > 60_000)
            errors.Add($"batch_size {BatchSize} must be 1-60000.");
        if (Epochs is < 1 or > 1000)
            errors.Add($"epochs {Epochs} must be 1-1000.");
        if (Patience < 1)
            errors.Add($"patience {Patience} must be at least 1.");
        if (!(ValidationSplit is > 0 and < 1))
            errors.Add($"validation_split {ValidationSplit} must be above 0 and below 1 (early stopping watches the validation accuracy).");
        if (Threads is < 0 or > 1024)
            errors.Add($"threads {Threads} must be 0 (every core) to 1024.");
        if (TrainLimit is < 2 or > 60_000)
            errors.Add($"train_limit {TrainLimit} must be 2-60000 (at least one training and one validation image).");
        return errors;

        void Check(IReadOnlyList<string> allowed, string? value, string name)
        {
            if (value is null || !allowed.Contains(value))
                errors.Add($"{name} '{value}' must be one of {string.Join(", ", allowed)}.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex ModelNamePattern();
}

/// <summary>A job whose file or settings cannot run; the message is the reason the status file records.</summary>
public sealed class InvalidJobException(string message) : Exception(message);
