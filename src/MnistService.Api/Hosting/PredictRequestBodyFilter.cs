using Microsoft.OpenApi;
using MnistService.Api.Predictions;
using MnistService.Core.Imaging;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.Hosting;

/// <summary>
/// Documents the request body of <c>POST /predict</c>, which the endpoint reads itself because it
/// takes four forms: JSON (pixels or a data URL), multipart/form-data with an 'image' file, and raw images.
/// </summary>
public sealed class PredictRequestBodyFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<PredictRequestBodyMetadata>().Any())
        {
            return;
        }
        var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        var content = new Dictionary<string, IOpenApiMediaType>
        {
            ["application/json"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(typeof(PredictJsonRequest), context.SchemaRepository) },
            ["multipart/form-data"] = new OpenApiMediaType
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema> { [PredictionInputReader.ImageField] = binary },
                    Required = new HashSet<string> { PredictionInputReader.ImageField },
                },
            },
        };
        foreach (var type in ImageFormatSniffer.SupportedContentTypes)
        {
            content[type] = new OpenApiMediaType { Schema = binary };
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "One image, in any of the forms listed; see the operation's description.",
            Content = content,
        };
    }
}
