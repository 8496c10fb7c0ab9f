using Microsoft.OpenApi;
using MnistService.Api.Predictions;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.Feedback;

/// <summary>Marks <c>POST /feedback</c>, whose body <see cref="FeedbackService"/> reads itself in several forms.</summary>
public sealed class FeedbackRequestBodyMetadata;

/// <summary>
/// Documents the body of <c>POST /feedback</c>: the JSON forms (<see cref="FeedbackJsonRequest"/>) and, with
/// <c>?label=N</c>, an image in the forms /predict reads.
/// </summary>
public sealed class FeedbackOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<FeedbackRequestBodyMetadata>().Any())
        {
            return;
        }
        var content = new Dictionary<string, IOpenApiMediaType>
        {
            ["application/json"] = new OpenApiMediaType
            {
                Schema = context.SchemaGenerator.GenerateSchema(typeof(FeedbackJsonRequest), context.SchemaRepository),
            },
        };
        PredictOperationFilter.AddImageForms(content);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "JSON with the reading's id and the right answer, or an image with ?label=N; see the operation's description.",
            Content = content,
        };
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = FeedbackService.LabelQuery,
            In = ParameterLocation.Query,
            Description = "With an image body (not JSON): the right digit, 0-9.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0", Maximum = "9" },
        });
    }
}
