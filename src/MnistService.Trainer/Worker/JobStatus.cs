using System.Text.Json;
using System.Text.Json.Serialization;
using MnistService.Core.IO;

namespace MnistService.Trainer.Worker;

[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>Epochs finished out of the job's maximum (early stopping may end the job before the maximum).</summary>
public sealed record JobProgress(int Epoch, int Epochs);

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
