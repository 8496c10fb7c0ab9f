using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Serilog;

namespace MnistService.Api.Predictions;

public static class PredictionEndpoints
{
    public static IEndpointRouteBuilder MapPredictions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/predict").WithTags("Predictions");
        group.MapPost("/", Predict)
            .WithName("Predict")
            .WithSummary("Reads one handwritten digit.")
            .WithDescription("""
                Send one image as multipart/form-data (field 'image'), as a raw body with an image Content-Type
                (PNG, JPEG, GIF, BMP, WebP, TIFF), or as JSON: {"pixels": [784 numbers]} (MNIST polarity, 0-1 or 0-255)
                or {"image": "data:image/png;base64,..."}. Images are made MNIST-like first: grayscale, ink bright on black,
                scaled to fit 20x20 and centred by mass in 28x28; 'input' in the answer is what the network saw.
                """)
            .WithMetadata(new PredictRequestBodyMetadata())
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status408RequestTimeout)  // RequestTimeouts
            .ProducesProblem(StatusCodes.Status429TooManyRequests); // RateLimiting
        return app;
    }

    /// <param name="request">The request; its body is read by <see cref="PredictionInputReader"/>.</param>
    /// <param name="model">The model to ask (GET /models lists them); the default model when absent.</param>
    /// <param name="reader">Reads the four input forms.</param>
    /// <param name="service">Preprocessing and inference.</param>
    /// <param name="requestLog">The fields of this request's log line.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    private static async Task<Ok<PredictionResponse>> Predict(HttpRequest request, [FromQuery] string? model,
        PredictionInputReader reader, PredictionService service, IDiagnosticContext requestLog, CancellationToken cancellationToken)
    {
        using var lease = service.Acquire(model);
        using var input = await reader.ReadAsync(request, cancellationToken);
        var pixels = input.Pixels ?? await service.PreprocessAsync(input.Image!.Memory, cancellationToken);
        var answer = service.Predict(pixels, lease.Model, input.Image is null ? default : input.Image.Span);
        requestLog.Set("Model", answer.Model);
        requestLog.Set("Digit", answer.Digit);
        requestLog.Set("Input", input.Pixels is null ? "image" : "pixels");
        return TypedResults.Ok(answer);
    }
}

/// <summary>Marks the endpoint that <see cref="PredictOperationFilter"/> documents.</summary>
public sealed class PredictRequestBodyMetadata;
