using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MnistService.Api.Errors;
using MnistService.Api.ModelStore;
using Prometheus;

namespace MnistService.Api.Metrics;

public static class MetricsEndpoints
{
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
    /// <summary>Where Prometheus scrapes; the group's other routes (e.g. /metrics/confusion) are API endpoints.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>
    /// HTTP request counts and durations for every endpoint (prometheus-net middleware). It goes before the
    /// exception handler, so that it records the status the client received (a 422, a 404) and not the 200
    /// the response still had when the endpoint threw.
    /// </summary>
    public static WebApplication UseServiceMetrics(this WebApplication app)
    {
        app.UseHttpMetrics();
        // The exception handler, next in line, clears the endpoint before it writes the problem; put back, the
        // error is counted under the route that raised it rather than under an empty endpoint label.
        app.Use(async (context, next) =>
        {
            var endpoint = context.GetEndpoint();
            try
            {
                await next(context);
            }
            finally
            {
                context.SetEndpoint(endpoint ?? context.GetEndpoint());
            }
        });
        return app;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ScrapePath).WithTags("Metrics");
        group.MapGet("/", Prometheus)
            .WithName("PrometheusMetrics")
            .WithSummary("Prometheus text format: HTTP requests, inference latency per model, predictions per digit, model reloads and failures, connections. " +
                "Rendered at most once a second. With Metrics:Port set, served on that port only (404 here).")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        group.MapGet("/confusion", Confusion)
            .WithName("GetConfusion")
            .WithSummary("The model's confusion matrix on the MNIST test set (from its report), with per-class precision, recall and F1.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status429TooManyRequests); // RateLimiting
        return app;
    }

    private static async Task Prometheus(HttpResponse response, ScrapeCache scrape, CancellationToken cancellationToken)
    {
        var text = await scrape.GetAsync(cancellationToken);
        response.ContentType = PrometheusContentType;
        response.ContentLength = text.Length;
        await response.Body.WriteAsync(text, cancellationToken);
    }

    /// <param name="model">The model (GET /models lists them); the default model when absent.</param>
    /// <param name="repository">The loaded models.</param>
    private static Ok<ConfusionResponse> Confusion([FromQuery] string? model, ModelRepository repository)
    {
        using var lease = repository.Acquire(model);
        var report = lease.Model.Report ?? throw new ReportNotFoundException(lease.Model.Name);
        return TypedResults.Ok(ConfusionResponse.From(lease.Model.Name, report.Test.Confusion));
    }
}
