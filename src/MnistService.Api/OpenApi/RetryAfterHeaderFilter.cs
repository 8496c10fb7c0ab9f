using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.OpenApi;

/// <summary>
/// Every 429 carries <c>Retry-After</c> in whole seconds (the rate limiter's rejection writes it), which a
/// client needs to back off correctly; the document says so on each operation that can answer 429.
/// </summary>
public sealed class RetryAfterHeaderFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.Responses?.GetValueOrDefault("429") is not OpenApiResponse tooMany)
        {
            return;
        }
        tooMany.Description = "This client sent more requests than its rate limit allows.";
        tooMany.Headers ??= new Dictionary<string, IOpenApiHeader>();
        tooMany.Headers["Retry-After"] = new OpenApiHeader
        {
            Description = "Seconds to wait before the next request is allowed (at least 1).",
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
        };
    }
}
