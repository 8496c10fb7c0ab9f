using Microsoft.OpenApi;
using MnistService.Api.Predictions;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.OpenApi;

/// <summary>
/// Marks every property of an answer's schema required. System.Text.Json writes all of an answer's
/// properties, null ones as <c>null</c> (nothing in the service ignores nulls), so none may be absent;
/// whether one can be null is the schema's nullability, taken from the C# type. The one JSON body the
/// service reads, <see cref="PredictJsonRequest"/>, is not an answer: its members are alternatives.
/// </summary>
public sealed class AnswerSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties.Count: > 0 } answer || context.Type == typeof(PredictJsonRequest) || context.Type == typeof(Feedback.FeedbackJsonRequest))
        {
            return;
        }
        answer.Required = new SortedSet<string>(answer.Properties.Keys, StringComparer.Ordinal);
    }
}
