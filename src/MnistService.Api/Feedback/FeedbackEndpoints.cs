using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MnistService.Api.Metrics;
using MnistService.Api.ModelStore;

namespace MnistService.Api.Feedback;

public static class FeedbackEndpoints
{
    public static IEndpointRouteBuilder MapFeedback(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/feedback").WithTags("Feedback");
        group.MapPost("/", Add)
            .WithName("AddFeedback")
            .WithSummary("Confirms or corrects a reading.")
            .WithDescription("""
                JSON {"id": "<a /predict answer's id>", "label": 7} (a digit), {"id": "...", "text": "0151 2345678"} (a number), or
                {"image": "data:image/png;base64,...", "label": 7} / {"pixels": [784 numbers], "label": 7} for an image not predicted before;
                or the image as for /predict (multipart/form-data field 'image', or a raw image body) with ?label=7.
                Stores the 28x28 the network saw, the label, the reading and its probabilities, the model; the upload only with Feedback:KeepOriginals.
                A second answer for the same id replaces the first.
                """)
            .WithMetadata(new FeedbackRequestBodyMetadata())
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status408RequestTimeout)  // RequestTimeouts
            .ProducesProblem(StatusCodes.Status429TooManyRequests); // RateLimiting
        group.MapGet("/{id}", Get)
            .WithName("GetFeedback")
            .WithSummary("A stored answer.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapDelete("/{id}", Delete)
            .WithName("DeleteFeedback")
            .WithSummary("Deletes a stored answer (and its image) for good.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        app.MapGroup(MetricsEndpoints.ScrapePath).WithTags("Metrics").MapGet("/feedback", FieldConfusion)
            .WithName("GetFieldConfusion")
            .WithSummary("The model's confusion matrix on people's answers (field accuracy): rows the digit they say it is, columns the model's reading. " +
                "The shape of /metrics/confusion; a number adds each digit when it was read with the right count of digits.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    /// <param name="request">The request; its body is read by <see cref="FeedbackService"/>.</param>
    /// <param name="model">For an image not predicted before: the model to read it with; the default model when absent.</param>
    /// <param name="feedback">Reads and stores the answer.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    private static async Task<Created<FeedbackResponse>> Add(HttpRequest request, [FromQuery] string? model, FeedbackService feedback,
        CancellationToken cancellationToken)
    {
        var record = await feedback.AddAsync(request, model, cancellationToken);
        return TypedResults.Created($"/feedback/{record.Id}", FeedbackResponse.From(record));
    }

    /// <param name="id">The answer's id (the prediction's).</param>
    /// <param name="feedback">The store.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    private static async Task<Ok<FeedbackResponse>> Get(string id, FeedbackService feedback, CancellationToken cancellationToken) =>
        TypedResults.Ok(FeedbackResponse.From(await feedback.GetAsync(id, cancellationToken)));

    /// <param name="id">The answer's id (the prediction's).</param>
    /// <param name="feedback">The store.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    private static async Task<NoContent> Delete(string id, FeedbackService feedback, CancellationToken cancellationToken)
    {
        await feedback.DeleteAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <param name="model">The model (also one no longer loaded); the default model when absent.</param>
    /// <param name="repository">The loaded models, for the default's name.</param>
    /// <param name="feedback">The store.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    private static async Task<Ok<ConfusionResponse>> FieldConfusion([FromQuery] string? model, ModelRepository repository, FeedbackService feedback,
        CancellationToken cancellationToken)
    {
        var name = string.IsNullOrEmpty(model) ? repository.Snapshot.DefaultName : model;
        return TypedResults.Ok(ConfusionResponse.From(name, await feedback.FieldConfusionAsync(name, cancellationToken)));
    }
}
