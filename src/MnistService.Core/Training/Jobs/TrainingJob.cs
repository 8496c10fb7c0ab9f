using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MnistService.Core.Training;

namespace MnistService.Core.Training.Jobs;

/// <summary>
/// One training job, as dropped into <c>MODELS/jobs/NAME.json</c>: the <see cref="TrainingSettings"/>
/// under their snake_case keys (as the model report names them), plus the model to write, the
/// training-image limit and whether an existing model may be replaced. Every key is optional; the
/// defaults are the CLI's: <c>recipe</c>'s settings (else the default recipe's), replaced by the keys given.
/// </summary>
/// <example><code>{ "model": "mnist-small", "hidden": [64], "epochs": 3, "train_limit": 6000 }</code></example>
public sealed partial record TrainingJob
{
    public const string ModelKey = "model";
    public const string ReplaceKey = "replace";

    /// <summary>The model's name: the worker writes <c>MODELS/{Model}.onnx</c>. Defaults to the job's name.</summary>
    public required string Model { get; init; }
    public TrainingSettings Settings { get; init; } = TrainingRecipes.For(TrainingRecipes.Default);
    /// <summary>Train on the first N training images only (quick jobs; the CLI's --train-limit); null uses all 60,000.</summary>
    public int? TrainLimit { get; init; }
    /// <summary>Allow replacing an existing model of the same name (the service swaps it in).</summary>
    public bool Replace { get; init; }

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

        var job = Read(root, jobName, JobKeys.File, out var errors);
        if (errors.Count > 0)
        {
            throw new InvalidJobException(string.Join(" ", errors.Select(e => e.Message)));
        }
        return job;
    }

    /// <summary>
    /// Reads a job from a JSON object whose members <paramref name="keys"/> names (a job file's snake_case keys,
    /// or the HTTP API's camelCase fields): every setting of <see cref="TrainingSetting.All"/>, whichever they are,
    /// plus the model, the train limit and replace. <paramref name="errors"/> has every problem, each under the
    /// key it concerns; the job is only meaningful when there are none.
    /// </summary>
    public static TrainingJob Read(JsonElement root, string jobName, JobKeys keys, out IReadOnlyList<JobKeyError> errors)
    {
        var problems = new List<JobKeyError>();
        void Problem(SettingError error) => problems.Add(new JobKeyError(keys.Of(error.Setting), error.Describe(keys.Of)));
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
                    problems.Add(new(ModelKey, $"{ModelKey} must be a name (text), got {TrainingSetting.Show(value)}."));
                    break;
                case ReplaceKey when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    replace = value.GetBoolean();
                    break;
                case ReplaceKey:
                    problems.Add(new(ReplaceKey, $"{ReplaceKey} must be true or false, got {TrainingSetting.Show(value)}."));
                    break;
                case var key when key == keys.Of(TrainingSetting.TrainLimit):
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        trainLimit = null;
                    }
                    else if (TrainingSetting.TrainLimit.CheckJsonKind(value) is { } error)
                    {
                        Problem(error);
                    }
                    else
                    {
                        trainLimit = value.GetInt32();
                    }
                    break;
                case var key when TrainingSetting.All.FirstOrDefault(s => keys.Of(s) == key) is { } setting:
                    if (setting.CheckJsonKind(value) is { } kindError)
                    {
                        Problem(kindError);
                    }
                    else
                    {
                        settingsJson[setting.JobKey] = JsonNode.Parse(value.GetRawText());
                    }
                    break;
                default:
                    problems.Add(new(property.Name,
                        $"'{property.Name}' is not a {keys.Word}; the keys are {string.Join(", ", keys.All)}."));
                    break;
            }
        }

        TrainingSettings settings;
        try
        {
            // Every value was checked against its setting's kind above, so this reads what is there.
            settings = TrainingRecipes.Build(settingsJson);
        }
        catch (JsonException)
        {
            problems.Add(new(keys.Of(TrainingSetting.Recipe), $"The settings cannot be read together (is {keys.Of(TrainingSetting.Recipe)} a recipe?)."));
            settings = TrainingRecipes.For(TrainingRecipes.Default);
        }
        var job = new TrainingJob { Model = model, Settings = settings, TrainLimit = trainLimit, Replace = replace };
        if (!ModelNamePattern().IsMatch(job.ModelName))
        {
            problems.Add(new(ModelKey, $"{ModelKey} '{model}' must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit."));
        }
        foreach (var error in settings.Validate().Concat(TrainingSettings.ValidateTrainLimit(trainLimit)))
        {
            Problem(error);
        }
        errors = problems;
        return job;
    }

    /// <summary>The job file's text: the settings, model, train limit and replace under their snake_case keys.</summary>
    public string ToJobFile()
    {
        var json = new JsonObject { [ModelKey] = Model };
        foreach (var (key, value) in JsonSerializer.SerializeToNode(Settings, TrainingRecipes.JobJsonOptions)!.AsObject().ToList())
        {
            json[key] = value?.DeepClone();
        }
        json[TrainingSetting.TrainLimit.JobKey] = TrainLimit;
        json[ReplaceKey] = Replace;
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Whether <paramref name="name"/> can name a model (and so a job): it becomes a file name.</summary>
    public static bool IsValidName(string name) => ModelNamePattern().IsMatch(name);

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

/// <summary>How one surface names a job's keys: the job file (snake_case) or the HTTP API (camelCase).</summary>
/// <param name="Of">A setting's name on this surface.</param>
/// <param name="Word">What a key is called in messages ("job key", "setting").</param>
public sealed record JobKeys(Func<TrainingSetting, string> Of, string Word)
{
    public static JobKeys File { get; } = new(s => s.JobKey, "job key");
    public static JobKeys Http { get; } = new(s => s.JsonName, "setting");

    /// <summary>Every key a job may have, as this surface names it.</summary>
    public IReadOnlyList<string> All =>
        [TrainingJob.ModelKey, .. TrainingSetting.All.Select(Of), Of(TrainingSetting.TrainLimit), TrainingJob.ReplaceKey];
}

/// <summary>One problem of a job, under the key it concerns; <see cref="Message"/> names the key itself.</summary>
public sealed record JobKeyError(string Key, string Message);
