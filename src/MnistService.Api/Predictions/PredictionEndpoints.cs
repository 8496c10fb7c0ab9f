using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MnistService.Api.Errors;
using MnistService.Api.Insight;
using MnistService.Core.Reading;
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
                or {"image": "data:image/png;base64,..."}. Images and pixels are made MNIST-like first: grayscale, ink bright on
                black, scaled to fit 20x20 and centred by mass in 28x28 ({"pixels": [...], "preprocess": false} sends the
                values untouched); 'input' in the answer is what the network saw. A blank image or blank pixels (one flat
                value, or a few stray specks) answer 422. 'isDigit' says whether the model's detector takes the image for a
                digit ('digitScore' at or above the threshold in GET /models/{name}); null for a model without a detector.
                """)
            .WithMetadata(new PredictRequestBodyMetadata(Sequence: false))
            .WithImageInputProblems(); // 422 also: ?explain=true for a model our network code cannot read
        group.MapPost("/sequence", PredictSequence)
            .WithName("PredictSequence")
            .WithSummary("Reads a handwritten number: several digits on one line.")
            .WithDescription($"""
                Takes the same forms as POST /predict. The line is cut into candidate pieces, each made MNIST-like as
                /predict does, and the split whose pieces the network reads best is chosen. 'text' holds the digits
                left to right with one space for a wide gap; each digit has its box in the image's pixels and the 28x28
                input the network saw. At most {NumberReader.MaxDigits} digits: more are refused with 422.
                """)
            .WithMetadata(new PredictRequestBodyMetadata(Sequence: true))
            .WithImageInputProblems();
        return app;
    }

    /// <summary>The problems both prediction endpoints answer with, from reading the input to rate limiting.</summary>
    private static RouteHandlerBuilder WithImageInputProblems(this RouteHandlerBuilder endpoint) => endpoint
        .DisableAntiforgery()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status408RequestTimeout)  // RequestTimeouts
        .ProducesProblem(StatusCodes.Status429TooManyRequests); // RateLimiting

    /// <param name="request">The request; its body is read by <see cref="PredictionInputReader"/>.</param>
    /// <param name="model">The model to ask (GET /models lists them); the default model when absent.</param>
    /// <param name="explain">true: the answer also holds what the network computed (activations, scores before softmax, saliency).</param>
    /// <param name="reader">Reads the four input forms.</param>
    /// <param name="service">Preprocessing and inference.</param>
    /// <param name="requestLog">The fields of this request's log line.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    private static async Task<Ok<PredictionResponse>> Predict(HttpRequest request, [FromQuery] string? model, [FromQuery] bool? explain,
        PredictionInputReader reader, PredictionService service, IDiagnosticContext requestLog, CancellationToken cancellationToken)
    {
        using var lease = service.Acquire(model);
        using var input = await reader.ReadAsync(request, cancellationToken);
        var pixels = await service.PrepareAsync(input, cancellationToken);
        // Explained first: a model our network code cannot run is refused (422) before the reading is remembered.
        var explanation = explain == true ? ExplainResponse.Of(lease.Model.Network.Explain(lease.Model.Name, pixels)) : null;
        var answer = service.Predict(pixels, lease.Model, input.Image is null ? default : input.Image.Span) with { Explain = explanation };

        requestLog.Set("Model", answer.Model);
        requestLog.Set("Digit", answer.Digit);
        requestLog.Set("IsDigit", answer.IsDigit);
        requestLog.Set("Input", input.Pixels is null ? "image" : "pixels");
        return TypedResults.Ok(answer);
    }

    /// <param name="request">The request; its body is read by <see cref="PredictionInputReader"/>.</param>
    /// <param name="model">The model to ask (GET /models lists them); the default model when absent.</param>
    /// <param name="reader">Reads the four input forms.</param>
    /// <param name="service">Decoding, reading the number, inference.</param>
    /// <param name="requestLog">The fields of this request's log line.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    private static async Task<Ok<SequenceResponse>> PredictSequence(HttpRequest request, [FromQuery] string? model,
        PredictionInputReader reader, PredictionService service, IDiagnosticContext requestLog, CancellationToken cancellationToken)
    {
        using var lease = service.Acquire(model);
        using var input = await reader.ReadAsync(request, cancellationToken);
        if (input.Pixels is not null && !input.Preprocess)
        {
            throw new InvalidInputException("'preprocess': false sends one digit to the network as it is; a number is found in the image, so /predict/sequence always preprocesses.");
        }
        var reading = input.Pixels is { } pixels
            ? PredictionService.ReadNumber(pixels, lease.Model)
            : await service.ReadNumberAsync(input.Image!.Memory, lease.Model, cancellationToken);
        requestLog.Set("Model", lease.Model.Name);
        requestLog.Set("Text", reading.Text);
        requestLog.Set("Input", input.Pixels is null ? "image" : "pixels");
        var id = service.Remember(reading, lease.Model, input.Image is null ? default : input.Image.Span);
        return TypedResults.Ok(SequenceResponse.From(reading, lease.Model.Name, id));
    }
}

/// <summary>Marks the endpoints that <see cref="PredictOperationFilter"/> documents.</summary>
/// <param name="Sequence">True for POST /predict/sequence (a number), false for POST /predict (one digit).</param>
public sealed record PredictRequestBodyMetadata(bool Sequence);
