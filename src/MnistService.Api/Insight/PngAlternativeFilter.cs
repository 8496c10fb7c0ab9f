using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.Insight;

/// <summary>Marks an endpoint whose 200 is JSON or, by the Accept header, a PNG picture of the same thing.</summary>
public sealed class PngAlternativeMetadata;

/// <summary>
/// Documents the PNG form of such a 200 beside its JSON: the endpoint metadata keeps one content type per
/// status, so the second one is added here.
/// </summary>
public sealed class PngAlternativeFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<PngAlternativeMetadata>().Any()
            || operation.Responses?.GetValueOrDefault("200") is not OpenApiResponse ok)
        {
            return;
        }

        ok.Description = "The layer's weights: a PNG of one tile per unit, or the numbers as JSON when Accept asks for application/json.";
        ok.Content ??= new Dictionary<string, IOpenApiMediaType>();
        ok.Content["image/png"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
    }
}
