using Microsoft.AspNetCore.Http.HttpResults;
using MnistService.Api.Security;
using MnistService.Core.Feedback;
using MnistService.Core.Models;

namespace MnistService.Api.ModelStore;

public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/models").WithTags("Models")
            .ProducesProblem(StatusCodes.Status429TooManyRequests); // RateLimiting
        group.MapGet("/", List)
            .WithName("ListModels")
            .WithSummary("The loaded models, which one is the default, and model files that failed to load.");
        group.MapGet("/{name}", Get)
            .WithName("GetModel")
            .WithSummary("One model with its report: architecture, hyperparameters, training history, test results.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapDelete("/{name}", Delete)
            .WithName("DeleteModel")
            .WithSummary("Delete a model's file from the model directory; never the default model's.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireTrainingAccess();
        group.MapPost("/{name}/default", MakeDefault)
            .WithName("MakeDefaultModel")
            .WithSummary("Make the model the default, for every replica sharing the model directory and across restarts (default-model.json there).")
            .WithDescription("""
                A model that would replace the current default must pass the promotion gate: at most 0.1 points below it
                on the MNIST test set, and better on the held-out fifth of people's answers (POST /feedback); otherwise 409
                with the figures. The comparison is recorded in the model's report (promotion). 503 when the feedback
                database cannot be read.
                """)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireTrainingAccess();
        return app;
    }

    private static Ok<ModelListResponse> List(ModelRepository repository)
    {
        var snapshot = repository.Snapshot;
        var models = snapshot.Models.Values.OrderBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => ModelSummary.From(m, snapshot)).ToList();
        var failures = snapshot.Failures.Values.OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => new ModelFailureInfo(f.Name, Path.GetFileName(f.Path), f.Error, f.Since)).ToList();
        return TypedResults.Ok(new ModelListResponse(snapshot.DefaultName, models, failures));
    }

    /// <param name="name">The model's name (its file name without .onnx).</param>
    /// <param name="repository">The loaded models.</param>
    private static Ok<ModelDetails> Get(string name, ModelRepository repository)
    {
        // The lease words a missing name (404) and a file that failed to load (503) as /predict does.
        using var lease = repository.Acquire(name);
        return TypedResults.Ok(new ModelDetails(ModelSummary.From(lease.Model, repository.Snapshot), lease.Model.Report));
    }

    /// <param name="name">The model's name.</param>
    private static Results<NoContent, ProblemHttpResult> Delete(string name, ModelRepository repository)
    {
        var snapshot = repository.Snapshot;
        if (!snapshot.Models.ContainsKey(name) && !snapshot.Failures.ContainsKey(name))
        {
            return ModelProblem(StatusCodes.Status404NotFound, "Model not found", $"No model named '{name}' is loaded. GET /models lists the loaded models.");
        }
        if (name == snapshot.DefaultName)
        {
            return ModelProblem(StatusCodes.Status409Conflict, "Default model",
                $"'{name}' is the default model ({snapshot.DefaultReason}) and is not deleted; make another model the default first (POST /models/OTHER/default).");
        }
        try
        {
            File.Delete(Path.Combine(repository.Directory, name + ".onnx"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ModelProblem(StatusCodes.Status409Conflict, "Model not deleted", $"The file of '{name}' cannot be deleted: {e.Message}");
        }
        repository.Reconcile(); // gone from the listing now, not at the watcher's next look
        return TypedResults.NoContent();
    }

    /// <param name="name">The model's name.</param>
    /// <param name="store">The feedback database, whose held-out answers the promotion gate compares on.</param>
    private static async Task<Results<Ok<ModelSummary>, ProblemHttpResult>> MakeDefault(string name, HttpContext context, ModelRepository repository,
        TimeProvider time, FeedbackStore store, CancellationToken cancellationToken)
    {
        var snapshot = repository.Snapshot;
        if (!snapshot.Models.TryGetValue(name, out var candidate))
        {
            return snapshot.Failures.TryGetValue(name, out var failure)
                ? ModelProblem(StatusCodes.Status409Conflict, "Cannot become the default", $"The file of '{name}' does not load: {failure.Error}")
                : ModelProblem(StatusCodes.Status404NotFound, "Model not found", $"No model named '{name}' is loaded. GET /models lists the loaded models.");
        }
        if (await DefaultModelRule.RefusalAsync(candidate, snapshot, store, time.GetUtcNow(), cancellationToken) is { } refusal)
        {
            return ModelProblem(StatusCodes.Status409Conflict, "Cannot become the default", refusal);
        }
        var by = $"POST /models/{name}/default from {context.Connection.RemoteIpAddress?.ToString() ?? "this machine"}";
        try
        {
            new DefaultModelChoice(name, time.GetUtcNow(), by).Write(repository.Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ModelProblem(StatusCodes.Status409Conflict, "Default not stored",
                $"The choice cannot be written to {DefaultModelChoice.FileName} in the model directory: {e.Message}");
        }
        repository.Reconcile();
        var now = repository.Snapshot;
        return TypedResults.Ok(ModelSummary.From(now.Models.GetValueOrDefault(name) ?? candidate, now));
    }

    private static ProblemHttpResult ModelProblem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
