using System.Text.Json;
using System.Text.Json.Serialization;
using MnistService.Core.IO;

namespace MnistService.Core.Training.Jobs;

[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    /// <summary>Stopped at its owner's request (a <c>NAME.cancel</c> file): no model was written.</summary>
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

/// <summary>Epochs finished out of the job's maximum (early stopping may end the job before the maximum).</summary>
public sealed record JobProgress(int Epoch, int Epochs);

/// <summary>Batches finished in the running epoch, so a watcher can show progress inside a long epoch.</summary>
public sealed record BatchProgress(int Epoch, int Batch, int Batches);

/// <summary>The last finished epoch's metrics, as Keras's history names them.</summary>
public sealed record EpochMetrics(double Loss, double Accuracy, double ValLoss, double ValAccuracy, double Seconds);

/// <summary>
/// What a job is doing, in <c>jobs/NAME.status.json</c> beside the job file. The worker replaces the
/// file atomically on every change and every few seconds while running (<see cref="UpdatedAt"/> is its heartbeat).
/// </summary>
public sealed record JobStatus
{
    public required string Job { get; init; }
    public required JobState State { get; init; }
    /// <summary>The model file the job writes, relative to the models directory (null when the job could not be read).</summary>
    public string? Model { get; init; }
    public JobProgress? Progress { get; init; }
    public EpochMetrics? Metrics { get; init; }
    /// <summary>Every finished epoch of this attempt, in order (Keras's history); absent in files of older workers.</summary>
    public IReadOnlyList<EpochRecord>? History { get; init; }
    /// <summary>Progress inside the running epoch; null between epochs and once the job ended.</summary>
    public BatchProgress? Batch { get; init; }
    /// <summary>Accuracy on the MNIST test set, once the job succeeded.</summary>
    public double? TestAccuracy { get; init; }
    /// <summary>Why the job failed, or why it was queued again.</summary>
    public string? Error { get; init; }
    /// <summary>How many times a worker started this job.</summary>
    public int Attempt { get; init; }
    /// <summary>The worker running the job: host, process id and process start (see <see cref="WorkerIdentity"/>).</summary>
    public string? Worker { get; init; }
    public DateTimeOffset? QueuedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether the job has ended (and its file moved to <c>.done</c>).</summary>
    [JsonIgnore]
    public bool HasEnded => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = true,
    };

    public static JobStatus? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<JobStatus>(File.ReadAllText(path), JsonOptions);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));
}
