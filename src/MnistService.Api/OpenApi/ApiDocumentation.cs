using Microsoft.OpenApi;
using MnistService.Api.Jobs;
using MnistService.Api.Predictions;

namespace MnistService.Api.OpenApi;

/// <summary>
/// The OpenAPI document at /swagger/v1/swagger.json, written so that a generated client needs no hand
/// edits: a property is nullable only where its C# type is, every property the service always writes
/// is required, and each endpoint lists every status it answers with.
/// </summary>
public static class ApiDocumentation
{
    public static IServiceCollection AddApiDocumentation(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "MnistService",
                Version = "v1",
                Description = "Handwritten digit recognition: an MLP trained on MNIST by our own trainer, served with ONNX Runtime.",
            });
            // The service's doc comments: parameters of the endpoint methods, properties of the answers.
            var comments = Path.ChangeExtension(typeof(ApiDocumentation).Assembly.Location, ".xml");
            if (File.Exists(comments))
            {
                options.IncludeXmlComments(comments);
            }
            options.SupportNonNullableReferenceTypes();
            // A $ref cannot carry "nullable" or a description beside it in OpenAPI 3.0; allOf can.
            options.UseAllOfToExtendReferenceSchemas();
            options.SchemaFilter<AnswerSchemaFilter>();
            options.SchemaFilter<ProblemDetailsSchemaFilter>();
            options.SchemaFilter<PredictionSchemaFilter>();
            options.OperationFilter<PredictOperationFilter>();
            options.OperationFilter<Feedback.FeedbackOperationFilter>();
            options.OperationFilter<JobRequestOperationFilter>();
            options.OperationFilter<RetryAfterHeaderFilter>();
            options.OperationFilter<Insight.PngAlternativeFilter>();
        });
        return services;
    }

    /// <summary>Swagger UI at /swagger, the document at /swagger/v1/swagger.json.</summary>
    public static WebApplication UseApiDocumentation(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options => options.DocumentTitle = "MnistService API");
        return app;
    }
}
