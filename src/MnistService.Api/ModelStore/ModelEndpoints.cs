using Microsoft.AspNetCore.Http.HttpResults;

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
}
