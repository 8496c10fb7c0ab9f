using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.OpenApi;

/// <summary>
/// The problem+json every error is answered with, as the service writes it: ProblemDetails' members are
/// nullable in C#, but none is ever written as null. Title, status, detail and instance are always set,
/// and the service adds the request's trace id and gives every status its RFC section as the type URI
/// (see AddProblemResponses).
/// </summary>
public sealed class ProblemDetailsSchemaFilter : ISchemaFilter
{
    public const string TraceIdMember = "traceId";

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.Type != typeof(ProblemDetails) || schema is not OpenApiSchema { Properties: { } properties } problem)
        {
            return;
        }
        foreach (var property in properties.Values.OfType<OpenApiSchema>())
        {
            property.Type &= ~JsonSchemaType.Null;
        }
        properties[TraceIdMember] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The request's id, as the service's log line for it shows it.",
        };
        problem.Description = "An RFC 9457 problem: what went wrong, in words meant for the person using the client.";
        problem.Required = new SortedSet<string>(properties.Keys, StringComparer.Ordinal);
    }
}
