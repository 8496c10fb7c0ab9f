using Microsoft.OpenApi;
using MnistService.Api.Hosting;

namespace MnistService.Api.Documentation;

/// <summary>The OpenAPI document and Swagger UI.</summary>
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
            options.OperationFilter<PredictRequestBodyFilter>();
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
