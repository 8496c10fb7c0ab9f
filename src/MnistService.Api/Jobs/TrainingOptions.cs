using System.ComponentModel.DataAnnotations;
using MnistService.Core.Training;

namespace MnistService.Api.Jobs;

/// <summary>Where the service's training jobs run.</summary>
public enum TrainingWorkerMode
{
    /// <summary>The service trains the jobs itself, one at a time (one machine).</summary>
    InProcess,
    /// <summary>A separate <c>mnist-train worker</c> over the same model directory trains them (compose, Kubernetes).</summary>
    External,
}

/// <summary>Training from the HTTP API (section <c>Training</c>): who may, where it runs, what a job may cost.</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary>InProcess: the service runs the worker; External: a separate worker shares the model directory.</summary>
    public TrainingWorkerMode Worker { get; set; } = TrainingWorkerMode.InProcess;

    /// <summary>
    /// The key a client other than this machine sends as <c>X-Api-Key</c> to start or cancel jobs and to
    /// manage models. Empty: only loopback clients may.
    /// </summary>
    [EmptyOrLongKey]
    public string? ApiKey { get; set; }

    /// <summary>
    /// A file holding <see cref="ApiKey"/> (a Docker or Kubernetes secret mounted as a file), read at start
    /// when <see cref="ApiKey"/> is empty, so the key is never in the environment.
    /// </summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>Jobs that may wait at once; one more gets 429.</summary>
    [Range(1, 1000)]
    public int MaxQueued { get; set; } = 8;

    /// <summary>Threads of the in-process training; 0: all cores but one, so predictions keep a core.</summary>
    [Range(0, TrainingSettings.MaxThreads)]
    public int Threads { get; set; }

    /// <summary>Most epochs a job may ask for; the default lets a job take the default recipe's 160.</summary>
    [Range(1, TrainingSettings.MaxEpochs)]
    public int MaxEpochs { get; set; } = 200;

    /// <summary>Most hidden layers a job may ask for.</summary>
    [Range(1, 64)]
    public int MaxHiddenLayers { get; set; } = 4;

    /// <summary>Widest hidden layer a job may ask for.</summary>
    [Range(1, TrainingSettings.MaxHiddenWidth)]
    public int MaxHiddenWidth { get; set; } = 1024;

    /// <summary>The MNIST directory of the in-process worker; empty: MNIST_DATA_DIR, ../shared/mnist, else a download.</summary>
    public string? Data { get; set; }

    /// <summary>The threads a job trains with: <see cref="Threads"/>, or all cores but one.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>The settings past this server's limits (the settings' own ranges are <see cref="TrainingSettings.Validate"/>'s).</summary>
    public IEnumerable<SettingError> CheckLimits(TrainingSettings settings)
    {
        if (JobFeedback.ServerPathRefusal(settings) is { } serverPath)
        {
            yield return serverPath;
        }
        if (settings.Epochs > MaxEpochs)
        {
            yield return new SettingError(TrainingSetting.Epochs, $"must be at most {MaxEpochs} on this server (Training:MaxEpochs), got {settings.Epochs}.");
        }
        if (settings.Hidden is { } hidden && hidden.Count > MaxHiddenLayers)
        {
            yield return new SettingError(TrainingSetting.Hidden, $"may have at most {MaxHiddenLayers} layers on this server (Training:MaxHiddenLayers), got {hidden.Count}.");
        }
        else if (settings.Hidden?.FirstOrDefault(width => width > MaxHiddenWidth) is > 0 and var wide)
        {
            yield return new SettingError(TrainingSetting.Hidden, $"widths must be at most {MaxHiddenWidth} on this server (Training:MaxHiddenWidth), got {wide}.");
        }
    }
}

/// <summary>A key is either not set or long enough not to be guessed.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EmptyOrLongKeyAttribute : ValidationAttribute
{
    public const int MinLength = 16;

    public EmptyOrLongKeyAttribute() : base($"must be empty or at least {MinLength} characters (a short key can be guessed)") { }

    public override bool IsValid(object? value) => value is null or "" or string { Length: >= MinLength };

    public override string FormatErrorMessage(string name) => ErrorMessageString;
}
