using MnistService.Api.Security;
using MnistService.Core.Training;
using MnistService.Core.Training.Jobs;

namespace MnistService.Api.Jobs;

/// <summary>A training job as <c>GET /jobs</c> shows it.</summary>
/// <param name="Id">The job's name: its files are <c>jobs/{id}.*</c> in the model directory.</param>
/// <param name="State">queued, running, succeeded, failed or cancelled.</param>
/// <param name="Model">The model the job writes (served under this name once it succeeded); null when its job file cannot be read.</param>
/// <param name="Settings">The training settings; null when the job file cannot be read.</param>
/// <param name="TrainLimit">Trains on the first N training images only; null: all 60,000.</param>
/// <param name="Progress">Epochs finished out of the most the job may run (early stopping may end it sooner).</param>
/// <param name="Batch">Progress inside the running epoch; null between epochs.</param>
/// <param name="History">Every epoch finished so far, as in the model's report.</param>
/// <param name="BestValAccuracy">The best validation accuracy so far (the epoch whose weights are kept); null before the first epoch.</param>
/// <param name="TestAccuracy">Accuracy of the model on the MNIST test set, once the job succeeded.</param>
/// <param name="Error">Why the job failed or was cancelled, or why it was queued again.</param>
/// <param name="Attempt">How many times a worker started it.</param>
/// <param name="QueuedAt">When it was queued.</param>
/// <param name="StartedAt">When its current attempt started.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="UpdatedAt">When its status last changed.</param>
public sealed record JobInfo(
    string Id, string State, string? Model, TrainingSettings? Settings, int? TrainLimit, JobProgress? Progress, BatchProgress? Batch,
    IReadOnlyList<EpochRecord> History, double? BestValAccuracy, double? TestAccuracy, string? Error, int Attempt,
    DateTimeOffset? QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset UpdatedAt);

/// <summary>The answer of <c>GET /jobs</c>.</summary>
/// <param name="Access">Whether this client may start and cancel jobs, and if not, how to enable it.</param>
/// <param name="Worker">InProcess (the service trains) or External (a separate worker does).</param>
/// <param name="Limits">What a job may ask for on this server.</param>
/// <param name="Jobs">Every job, newest first.</param>
public sealed record JobListResponse(TrainingAccessInfo Access, string Worker, JobLimits Limits, IReadOnlyList<JobInfo> Jobs);

/// <param name="MaxEpochs">Most epochs a job may ask for.</param>
/// <param name="MaxHiddenLayers">Most hidden layers.</param>
/// <param name="MaxHiddenWidth">Widest hidden layer.</param>
/// <param name="MaxQueued">Jobs that may wait at once.</param>
/// <param name="Threads">Threads a job trains with.</param>
/// <param name="Defaults">The tutorial recipe's settings, where the page's form starts. A job gets these for what it leaves out when it
/// sends <c>"recipe": "tutorial"</c>; without a recipe it gets the default recipe's (<c>distorted</c>), as the trainer does.</param>
/// <param name="Choices">The names each choice setting takes (activation, optimizer, loss...), by its camelCase name.</param>
public sealed record JobLimits(int MaxEpochs, int MaxHiddenLayers, int MaxHiddenWidth, int MaxQueued, int Threads, TrainingSettings Defaults,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Choices);

/// <summary>The last event of <c>GET /jobs/{id}/events</c>: <c>done</c> or <c>failed</c>.</summary>
/// <param name="State">succeeded, failed or cancelled.</param>
/// <param name="Model">The model it wrote (done) or would have written.</param>
/// <param name="TestAccuracy">The model's test accuracy (done).</param>
/// <param name="Reason">Why it failed or was cancelled.</param>
public sealed record JobEnd(string State, string? Model, double? TestAccuracy, string? Reason);
