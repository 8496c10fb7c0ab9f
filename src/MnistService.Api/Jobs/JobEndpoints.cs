using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MnistService.Api.Security;
using MnistService.Core.Feedback;
using MnistService.Core.Training;
using MnistService.Core.Training.Jobs;

namespace MnistService.Api.Jobs;

public static class JobEndpoints
{
    /// <summary>How often a stream of events looks at the job's status (the worker writes it a few times a second at most).</summary>
    private static readonly TimeSpan EventPoll = TimeSpan.FromMilliseconds(200);

    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/jobs").WithTags("Jobs")
            .ProducesProblem(StatusCodes.Status429TooManyRequests); // RateLimiting
        group.MapPost("/", Start)
            .WithName("StartJob")
            .WithSummary("Queue a training job: a JSON object of training settings (camelCase; any left out take the recipe's values, the distorted recipe's unless recipe says tutorial), plus model, trainLimit, replace and includeFeedback (train on people's answers too).")
            .WithMetadata(new JobRequestBodyMetadata())
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity) // includeFeedback without answers
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable) // includeFeedback, the feedback database down
            .RequireTrainingAccess();
        group.MapGet("/", List)
            .WithName("ListJobs")
            .WithSummary("Every job (queued, running, ended), whether this client may start jobs, and the server's limits.");
        group.MapGet("/{id}", Get)
            .WithName("GetJob")
            .WithSummary("One job: settings, state, progress, the epochs so far, the model it made.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id}", Cancel)
            .WithName("CancelJob")
            .WithSummary("Cancel a job: a waiting one ends at once; a running one stops at its next batch. Either way no model is written.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireTrainingAccess();
        group.MapGet("/{id}/events", Events)
            .WithName("JobEvents")
            .WithSummary("Server-sent events: 'state' on every change of state, 'epoch' per finished epoch (the epochs so far first), " +
                         "'progress' inside an epoch (a few a second at most), then 'done' or 'failed'.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .DisableRequestTimeout();
        return app;
    }

    /// <param name="feedback">The feedback database, exported for a job that includes people's answers.</param>
    private static async Task<Results<Accepted<JobInfo>, ValidationProblem, ProblemHttpResult>> Start(
        HttpRequest request, JobStore store, IOptionsMonitor<TrainingOptions> options, FeedbackStore feedback, CancellationToken cancellationToken)
    {
        JsonElement root;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return Invalid($"The body is not well-formed JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}); " +
                           "expected an object of training settings, e.g. {\"epochs\": 2, \"trainLimit\": 2000}.");
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid($"Expected an object of training settings, e.g. {{\"epochs\": 2, \"trainLimit\": 2000}}, got {TrainingSetting.Show(root)}.");
        }

        var includeFeedback = JobFeedback.Take(ref root, out var includeError);
        var job = TrainingJob.Read(root, store.NewModelName(), JobKeys.Http, out var readErrors);
        var errors = readErrors.Concat(includeError is null ? [] : [includeError]).ToList();
        // A server limit is worth saying only of a setting that is otherwise in range.
        var problems = errors.Concat(options.CurrentValue.CheckLimits(job.Settings)
            .Where(e => errors.All(error => error.Key != e.Setting.JsonName))
            .Select(e => new JobKeyError(e.Setting.JsonName, e.Describe(s => s.JsonName)))).ToList();
        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(
                problems.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()),
                detail: string.Join(" ", problems.Select(p => p.Message)), title: "Invalid training settings");
        }
        try
        {
            var info = await store.SubmitAsync(job, includeFeedback ? JobFeedback.Export(feedback, store.Queue.JobsDirectory) : null, cancellationToken);
            return TypedResults.Accepted($"/jobs/{info.Id}", info);
        }
        catch (QueueFullException e)
        {
            request.HttpContext.Response.Headers.RetryAfter = "30";
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Training queue full", detail: e.Message);
        }
        catch (ModelExistsException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Model exists", detail: e.Message);
        }
        catch (NoAnswersException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "No answers to train on", detail: e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A model directory mounted read-only, or full: the job cannot be queued here.
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Training unavailable",
                detail: $"The job cannot be written to the model directory's jobs/ folder: {e.Message}");
        }

        static ProblemHttpResult Invalid(string detail) =>
            TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid training settings", detail: detail);
    }

    private static Ok<JobListResponse> List(HttpContext context, JobStore store, TrainingAccess access, IOptionsMonitor<TrainingOptions> options)
    {
        var settings = options.CurrentValue;
        var limits = new JobLimits(settings.MaxEpochs, settings.MaxHiddenLayers, settings.MaxHiddenWidth, settings.MaxQueued,
            settings.EffectiveThreads, TrainingRecipes.Tutorial,
            TrainingSetting.All.Where(s => s.Kind == SettingKind.Choice).ToDictionary(s => s.JsonName, s => s.Choices));
        return TypedResults.Ok(new JobListResponse(access.Decide(context), settings.Worker.ToString(), limits, store.List()));
    }

    /// <param name="id">The job's id (the name of the model it makes).</param>
    private static Results<Ok<JobInfo>, ProblemHttpResult> Get(string id, JobStore store) =>
        store.Find(id) is { } job ? TypedResults.Ok(job) : NotFound(id);

    /// <param name="id">The job's id.</param>
    private static Results<Ok<JobInfo>, Accepted<JobInfo>, ProblemHttpResult> Cancel(string id, HttpContext context, JobStore store)
    {
        var outcome = store.Cancel(id, $"DELETE /jobs/{id} from {context.Connection.RemoteIpAddress?.ToString() ?? "this machine"}");
        var job = store.Find(id);
        return (outcome, job) switch
        {
            (CancelOutcome.Cancelled, not null) => TypedResults.Ok(job),
            (CancelOutcome.Requested, not null) => TypedResults.Accepted($"/jobs/{id}", job),
            (CancelOutcome.AlreadyEnded, not null) => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Job has ended",
                detail: $"The job '{id}' has ended already ({job.State}); there is nothing to cancel."),
            _ => NotFound(id),
        };
    }

    /// <param name="id">The job's id.</param>
    /// <remarks>An <see cref="IResult"/>, documented by hand above: the typed result would describe the stream as one JSON item.</remarks>
    private static IResult Events(string id, JobStore store, IHostApplicationLifetime lifetime, CancellationToken cancellationToken) =>
        store.Find(id) is null ? NotFound(id) : TypedResults.ServerSentEvents(Stream(id, store, lifetime.ApplicationStopping, cancellationToken));

    private static async IAsyncEnumerable<SseItem<object>> Stream(string id, JobStore store, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
        var sentEpochs = 0;
        (string State, int Attempt)? sentState = null;
        BatchProgress? sentBatch = null;
        JobFilesStamp? readAt = null;
        JobInfo? job = null;
        while (!linked.IsCancellationRequested)
        {
            // Taken before the read, so a change during it is read on the next poll.
            var stamp = store.Stamp(id);
            if (stamp != readAt)
            {
                (job, readAt) = (store.Find(id), stamp);
            }
            if (job is null)
            {
                yield return new SseItem<object>(new JobEnd("failed", null, null, $"The job '{id}' is gone (its files were removed)."), "failed");
                yield break;
            }
            if (sentState != (job.State, job.Attempt))
            {
                if (sentState is { } earlier && earlier.Attempt != job.Attempt)
                {
                    sentEpochs = 0; // a new attempt (its worker died): its epochs start again, as its 'state' event says
                }
                sentState = (job.State, job.Attempt);
                yield return new SseItem<object>(new { job.State, job.Attempt, job.Error }, "state");
            }
            foreach (var epoch in job.History.Skip(sentEpochs))
            {
                yield return new SseItem<object>(epoch, "epoch");
            }
            sentEpochs = Math.Max(sentEpochs, job.History.Count);
            if (job.Batch is { } batch && batch != sentBatch)
            {
                sentBatch = batch;
                yield return new SseItem<object>(new { batch.Epoch, Epochs = job.Progress?.Epochs, batch.Batch, batch.Batches }, "progress");
            }
            if (job.State is "succeeded" or "failed" or "cancelled")
            {
                yield return job.State == "succeeded"
                    ? new SseItem<object>(new JobEnd(job.State, job.Model, job.TestAccuracy, null), "done")
                    : new SseItem<object>(new JobEnd(job.State, job.Model, null, job.Error), "failed");
                yield break;
            }
            try
            {
                await Task.Delay(EventPoll, linked.Token);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private static ProblemHttpResult NotFound(string id) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound,
        title: "Job not found", detail: $"There is no job '{id}'. GET /jobs lists the jobs.");
}
