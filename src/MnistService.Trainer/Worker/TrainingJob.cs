using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace MnistService.Trainer.Worker;

/// <summary>
/// One training job, as dropped into <c>MODELS/jobs/NAME.json</c>: the settings of
/// <c>mnist-train train</c> (snake_case, as the model report names them) plus the model to write.
/// Every setting is optional; the defaults are the CLI's (the tutorial's model with dropout).
/// </summary>
/// <example><code>{ "model": "mnist-small", "hidden": [64], "epochs": 3, "limit_train": 6000 }</code></example>
public sealed partial record TrainingJob
{
    /// <summary>The model's name: the worker writes <c>MODELS/{Model}.onnx</c>. Defaults to the job's name.</summary>
    public string? Model { get; init; }
    public IReadOnlyList<int> Hidden { get; init; } = [256, 128];
    public string Activation { get; init; } = "relu";
    public double Dropout { get; init; } = 0.3;
    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 0.001;
    /// <summary>SGD momentum; 0 is plain SGD.</summary>
    public double Momentum { get; init; }
    public int BatchSize { get; init; } = 128;
    /// <summary>At most this many epochs; early stopping may end sooner.</summary>
    public int Epochs { get; init; } = 50;
    public int Patience { get; init; } = 10;
    public double ValidationSplit { get; init; } = 0.2;
    public string Loss { get; init; } = "crossentropy";
    public int Seed { get; init; } = 42;
    /// <summary>Training threads; 0 uses every core.</summary>
    public int Threads { get; init; }
    /// <summary>Train on the first N training images only (quick jobs); null uses all 60,000.</summary>
    public int? LimitTrain { get; init; }
    /// <summary>Allow replacing an existing model of the same name (the service swaps it in).</summary>
    public bool Replace { get; init; }

    public static readonly IReadOnlyList<string> Activations = ["relu", "sigmoid", "tanh"];
    public static readonly IReadOnlyList<string> Optimizers = ["adam", "sgd", "rmsprop"];
    public static readonly IReadOnlyList<string> Losses = ["crossentropy", "mse"];

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
        return job;
    }

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

    /// <summary>Every problem with the settings, one sentence each; empty when the job can run.</summary>
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
        if (Patience < 0)
            errors.Add($"patience {Patience} must not be negative.");
        if (!(ValidationSplit is >= 0 and < 1))
            errors.Add($"validation_split {ValidationSplit} must be at least 0 and below 1.");
        if (Threads is < 0 or > 1024)
            errors.Add($"threads {Threads} must be 0 (every core) to 1024.");
        if (LimitTrain is < 1 or > 60_000)
            errors.Add($"limit_train {LimitTrain} must be 1-60000.");
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
