using Microsoft.AspNetCore.Http.HttpResults;
using MnistService.Api.ModelStore;

namespace MnistService.Api.Health;

/// <summary>Liveness and readiness for Docker and Kubernetes.</summary>
public static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithTags("Health");
        group.MapGet(LivenessPath, () => TypedResults.Ok(new HealthResponse("alive")))
            .WithName("Liveness")
            .WithSummary("The process is up and answering.");
        group.MapGet(ReadinessPath, Ready)
            .WithName("Readiness")
            .WithSummary("The default model is loaded, so predictions can be served; 503 otherwise.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        // HEAD for checkers that look at the status alone (load balancers, uptime monitors): the same status
        // and headers, no body. Left out of the OpenAPI document, which lists each operation once.
        group.MapMethods(LivenessPath, [HttpMethods.Head], () => TypedResults.Ok(new HealthResponse("alive"))).ExcludeFromDescription();
        group.MapMethods(ReadinessPath, [HttpMethods.Head], Ready).ExcludeFromDescription();
        return app;
    }

    private static Results<Ok<ReadinessResponse>, ProblemHttpResult> Ready(ModelRepository repository)
    {
        var snapshot = repository.Snapshot;
        if (snapshot.Models.ContainsKey(snapshot.DefaultName))
        {
            return TypedResults.Ok(new ReadinessResponse("ready", snapshot.DefaultName, snapshot.Models.Count));
        }
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Not ready",
            detail: snapshot.Failures.TryGetValue(snapshot.DefaultName, out var failure)
                ? $"The default model '{snapshot.DefaultName}' failed to load: {failure.Error}"
                : $"The default model '{snapshot.DefaultName}' is not loaded ({snapshot.Models.Count} models loaded from {repository.Directory}).");
    }
}

/// <param name="Status">Always "alive".</param>
public sealed record HealthResponse(string Status);

/// <param name="Status">Always "ready" (the service answers 503 otherwise).</param>
/// <param name="DefaultModel">The model used when a request names none.</param>
/// <param name="Models">Number of loaded models.</param>
public sealed record ReadinessResponse(string Status, string DefaultModel, int Models);
