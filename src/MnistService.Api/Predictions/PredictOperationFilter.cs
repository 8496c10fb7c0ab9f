using Microsoft.OpenApi;
using MnistService.Core.Imaging;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.Predictions;

/// <summary>
/// Documents <c>POST /predict</c> beyond what its signature says: the request body, which the endpoint
/// reads itself because it takes four forms (JSON with pixels or a data URL, multipart/form-data with an
/// 'image' file, a raw image), examples of the JSON forms and of the answers, and what each status means.
/// </summary>
public sealed class PredictOperationFilter : IOperationFilter
{
    private static readonly Dictionary<string, string> StatusMeanings = new()
    {
        ["200"] = "The digit read, the probability of each digit, and the 28x28 input the network saw.",
        ["400"] = "The body cannot be read: broken or unknown JSON members, not 784 values in range, a damaged image, a form without 'image'.",
        ["404"] = "No model has the name given in ?model= (GET /models lists them).",
        ["408"] = "The request, its upload included, took longer than the configured timeout.",
        ["413"] = "The body, or the image's width x height, is over the configured limits.",
        ["415"] = "A Content-Type, or an image format, that the service does not read.",
        ["422"] = "A readable image with no digit in it: blank, or one flat colour. Or ?explain=true for a model whose graph our network code cannot read as dense layers.",
        ["503"] = "The model asked for (the default one when none is named) is not loaded: its file is missing or failed to load. " +
            "Or the service is busy: other images being decoded fill Limits:MaxDecodedPixelsInFlight; then Retry-After says when to retry.",
    };

    /// <summary>Where POST /predict/sequence answers differently; the other statuses mean the same.</summary>
    private static readonly Dictionary<string, string> SequenceStatusMeanings = new()
    {
        ["200"] = "The number read: its text, and each digit with its box, probabilities and the 28x28 input the network saw.",
        ["422"] = $"A readable image with no digit in it (blank, one flat colour, only specks or separators), or more than {Core.Reading.NumberReader.MaxDigits} digits.",
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<PredictRequestBodyMetadata>().FirstOrDefault() is not { } endpoint)
        {
            return;
        }
        var meanings = endpoint.Sequence ? SequenceStatusMeanings : StatusMeanings;
        operation.RequestBody = RequestBody(context);
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse documented)
            {
                continue;
            }
            documented.Description = meanings.TryGetValue(status, out var meaning) ? meaning
                : StatusMeanings.TryGetValue(status, out var shared) ? shared : documented.Description;
            if (status == "503")
            {
                documented.Headers ??= new Dictionary<string, IOpenApiHeader>();
                documented.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "With 'Service busy': seconds to wait before retrying (at least 1).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                };
            }
            var example = status == "200" ? (endpoint.Sequence ? null : PredictExamples.Answer())
                : int.TryParse(status, out var code) ? PredictExamples.Problem(code) : null;
            if (example is not null && documented.Content?.Values.SingleOrDefault() is OpenApiMediaType media)
            {
                media.Example = example;
            }
        }
    }

    private static OpenApiRequestBody RequestBody(OperationFilterContext context)
    {
        var content = new Dictionary<string, IOpenApiMediaType>
        {
            ["application/json"] = new OpenApiMediaType
            {
                Schema = context.SchemaGenerator.GenerateSchema(typeof(PredictJsonRequest), context.SchemaRepository),
                Examples = new Dictionary<string, IOpenApiExample>
                {
                    ["pixels"] = new OpenApiExample
                    {
                        Summary = "784 values, 0-255, ink bright",
                        Description = "A 1, row-major; values in [0,1] are taken as well.",
                        Value = PredictExamples.PixelsRequest(),
                    },
                    ["image"] = new OpenApiExample
                    {
                        Summary = "A data URL, as a canvas gives it",
                        Description = "The same 1 as a 28x28 PNG, dark ink on white.",
                        Value = PredictExamples.ImageRequest(),
                    },
                },
            },
        };
        AddImageForms(content);
        return new OpenApiRequestBody
        {
            Required = true,
            Description = "One image, in any of the forms listed; see the operation's description.",
            Content = content,
        };
    }

    /// <summary>The image forms of a body, as /predict reads them: multipart/form-data with an 'image' file, or a raw image.</summary>
    public static void AddImageForms(IDictionary<string, IOpenApiMediaType> content)
    {
        var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        var imageTypes = string.Join(", ", ImageFormatSniffer.SupportedContentTypes);
        content["multipart/form-data"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    [PredictionInputReader.ImageField] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Format = "binary",
                        Description = "The image file: " + imageTypes + ".",
                    },
                },
                Required = new HashSet<string> { PredictionInputReader.ImageField },
            },
            Encoding = new Dictionary<string, OpenApiEncoding> { [PredictionInputReader.ImageField] = new() { ContentType = imageTypes } },
        };
        foreach (var type in ImageFormatSniffer.SupportedContentTypes)
        {
            content[type] = new OpenApiMediaType { Schema = binary };
        }
    }
}
