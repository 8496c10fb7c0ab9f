using System.Text.Json;
using System.Text.Json.Nodes;
using MnistService.Api.Errors;
using MnistService.Core.Imaging;
using MnistService.Core.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Predictions;

/// <summary>
/// The examples of <c>POST /predict</c> in the OpenAPI document: one digit (a 1, a vertical stroke) in the
/// JSON forms, and the answer for its pixels. They are real: the server takes both requests, and its
/// answer to the pixels shows the same <c>input</c> (only the probabilities depend on the model).
/// </summary>
public static class PredictExamples
{
    /// <summary>The stroke as 0-255 values, MNIST polarity (ink bright on black).</summary>
    public static byte[] Digit { get; } = DrawOne();

    /// <summary><c>{"pixels": [...]}</c> with <see cref="Digit"/>.</summary>
    public static JsonNode PixelsRequest() => new JsonObject { ["pixels"] = new JsonArray([.. Digit.Select(v => JsonValue.Create((int)v))]) };

    /// <summary><c>{"image": "data:image/png;base64,..."}</c>: <see cref="Digit"/> dark on white, as a canvas draws it.</summary>
    public static JsonNode ImageRequest() => new JsonObject { ["image"] = "data:image/png;base64," + Convert.ToBase64String(DigitPng()) };

    /// <summary><see cref="Digit"/> dark on white as a PNG.</summary>
    public static byte[] DigitPng()
    {
        using var image = new Image<L8>(MnistPreprocessor.Side, MnistPreprocessor.Side);
        for (var y = 0; y < MnistPreprocessor.Side; y++)
        {
            for (var x = 0; x < MnistPreprocessor.Side; x++)
            {
                image[x, y] = new L8((byte)(255 - Digit[y * MnistPreprocessor.Side + x]));
            }
        }
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    /// <summary>An answer to <see cref="PixelsRequest"/>, written by the service's own serializer.</summary>
    public static JsonNode Answer()
    {
        float[] probabilities = [0.0003f, 0.9871f, 0.0021f, 0.0008f, 0.0012f, 0.0004f, 0.0006f, 0.0049f, 0.0019f, 0.0007f];
        var answer = new PredictionResponse(1, probabilities[1], probabilities, DefaultModelChoice.Shipped,
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            new NetworkInput(MnistPreprocessor.Side, MnistPreprocessor.Side, [.. Digit.Select(v => v / 255f)]), true, 0.9994f, "5f1c0d8e2a7b4c3d9e6f0a1b2c3d4e5f");
        return JsonSerializer.SerializeToNode(answer, ApiJsonContext.Default.PredictionResponse)!;
    }

    /// <summary>The problem a status of <c>POST /predict</c> is answered with, for the statuses that have an example.</summary>
    public static JsonNode? Problem(int status) => status switch
    {
        StatusCodes.Status400BadRequest => Problem("https://tools.ietf.org/html/rfc9110#section-15.5.1",
            new InvalidInputException("'pixels' must hold exactly 784 numbers (28x28, row-major); it holds 10.")),
        StatusCodes.Status404NotFound => Problem("https://tools.ietf.org/html/rfc9110#section-15.5.5", new ModelNotFoundException("mnist-cnn")),
        StatusCodes.Status503ServiceUnavailable => Problem("https://tools.ietf.org/html/rfc9110#section-15.6.4",
            new ModelLoadFailedException("mnist-cnn", "mnist-cnn.onnx", "The file is not an ONNX model: protobuf parsing failed.")),
        _ => null,
    };

    /// <summary>The problem+json the service writes for <paramref name="error"/> (see ApiExceptionHandler).</summary>
    private static JsonObject Problem(string type, ApiException error) => new()
    {
        ["type"] = type,
        ["title"] = error.Title,
        ["status"] = error.Status,
        ["detail"] = error.Message,
        ["instance"] = "/predict",
        ["traceId"] = "0HNQC9PV9DSVG:00000001",
    };

    /// <summary>A 1: a slightly slanted stroke, two pixels wide with softer edges, rows 4 to 23.</summary>
    private static byte[] DrawOne()
    {
        var pixels = new byte[MnistPreprocessor.Side * MnistPreprocessor.Side];
        for (var y = 4; y < 24; y++)
        {
            var x = 15 - (y - 4) / 7;
            pixels[y * MnistPreprocessor.Side + x - 1] = 96;
            pixels[y * MnistPreprocessor.Side + x] = 255;
            pixels[y * MnistPreprocessor.Side + x + 1] = 255;
            pixels[y * MnistPreprocessor.Side + x + 2] = 96;
        }
        return pixels;
    }
}
