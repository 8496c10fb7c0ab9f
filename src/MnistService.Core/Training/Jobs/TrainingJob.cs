using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MnistService.Core.Training;

namespace MnistService.Core.Training.Jobs;

/// <summary>
/// One training job, as dropped into <c>MODELS/jobs/NAME.json</c>: the <see cref="TrainingSettings"/>
/// under their snake_case keys (as the model report names them), plus the model to write, the
/// training-image limit and whether an existing model may be replaced. Every key is optional; the
/// defaults are the CLI's (the tutorial's model with dropout).
/// </summary>
/// <example><code>{ "model": "mnist-small", "hidden": [64], "epochs": 3, "train_limit": 6000 }</code></example>
public sealed partial record TrainingJob
{
    public const string ModelKey = "model";
    public const string ReplaceKey = "replace";

    /// <summary>The model's name: the worker writes <c>MODELS/{Model}.onnx</c>. Defaults to the job's name.</summary>
    public required string Model { get; init; }
    public TrainingSettings Settings { get; init; } = new();
    /// <summary>Train on the first N training images only (quick jobs; the CLI's --train-limit); null uses all 60,000.</summary>
    public int? TrainLimit { get; init; }
    /// <summary>Allow replacing an existing model of the same name (the service swaps it in).</summary>
    public bool Replace { get; init; }

    /// <summary>The settings' own keys: snake_case, so the job file and the stored report name them alike.</summary>
    private static readonly JsonSerializerOptions SettingsJsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly IReadOnlyList<string> Keys =
        [ModelKey, .. TrainingSetting.All.Select(s => s.JobKey), TrainingSetting.TrainLimit.JobKey, ReplaceKey];

    /// <summary>Parses and validates a job file's text; <paramref name="jobName"/> names the model when the job does not.</summary>
    /// <exception cref="InvalidJobException">
    /// The text is not a job, or settings are out of range; the message says every problem, each by its key.
    /// </exception>
    public static TrainingJob Parse(string json, string jobName)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            throw new InvalidJobException($"The job file is not a valid job: it is not complete, well-formed JSON{where}.");
        }
        if (root.ValueKind == JsonValueKind.Null)
        {
            throw new InvalidJobException("The job file is empty (JSON null); expected an object of settings.");
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidJobException($"The job file is not a valid job: expected an object of settings, got {TrainingSetting.Show(root)}.");
        }

        var problems = new List<string>();
        var settingsJson = new JsonObject();
        var model = jobName;
        int? trainLimit = null;
        var replace = false;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case ModelKey when value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                    model = value.GetString() ?? jobName;
                    break;
                case ModelKey:
                    problems.Add($"{ModelKey} must be a name (text), got {TrainingSetting.Show(value)}.");
                    break;
                case ReplaceKey when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    replace = value.GetBoolean();
                    break;
                case ReplaceKey:
                    problems.Add($"{ReplaceKey} must be true or false, got {TrainingSetting.Show(value)}.");
                    break;
                case var key when key == TrainingSetting.TrainLimit.JobKey:
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        trainLimit = null;
                    }
                    else if (TrainingSetting.TrainLimit.CheckJsonKind(value) is { } error)
                    {
                        problems.Add(Describe(error));
                    }
                    else
                    {
                        trainLimit = value.GetInt32();
                    }
                    break;
                case var key when TrainingSetting.All.FirstOrDefault(s => s.JobKey == key) is { } setting:
                    if (setting.CheckJsonKind(value) is { } kindError)
                    {
                        problems.Add(Describe(kindError));
                    }
                    else
                    {
                        settingsJson[key] = JsonNode.Parse(value.GetRawText());
                    }
                    break;
                default:
                    problems.Add($"'{property.Name}' is not a job key; the keys are {string.Join(", ", Keys)}.");
                    break;
            }
        }

        TrainingSettings settings;
        try
        {
            // Every value was checked against its setting's kind above, so this reads what is there.
            settings = settingsJson.Deserialize<TrainingSettings>(SettingsJsonOptions) ?? new TrainingSettings();
        }
        catch (JsonException)
        {
            throw new InvalidJobException("The job file is not a valid job: its settings cannot be read.");
        }

        var job = new TrainingJob { Model = model, Settings = settings, TrainLimit = trainLimit, Replace = replace };
        if (!ModelNamePattern().IsMatch(job.ModelName))
        {
            problems.Add($"{ModelKey} '{model}' must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
        problems.AddRange(settings.Validate().Concat(TrainingSettings.ValidateTrainLimit(trainLimit)).Select(Describe));
        if (problems.Count > 0)
        {
            throw new InvalidJobException(string.Join(" ", problems));
        }
        return job;
    }

    /// <summary>A setting's error as the job file names it: <c>epochs must be 1-1000, got 0.</c></summary>
    public static string Describe(SettingError error) => error.Describe(s => s.JobKey);

    /// <summary>The file the model is written to, relative to the models directory.</summary>
    public string ModelFileName => ModelName + ".onnx";

    /// <summary>The model's name without the <c>.onnx</c> suffix.</summary>
    public string ModelName => Model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? Model[..^5] : Model;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex ModelNamePattern();
}

/// <summary>A job whose file or settings cannot run; the message is the reason the status file records.</summary>
public sealed class InvalidJobException(string message) : Exception(message);
