using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using MnistService.Api.Hosting;
using MnistService.Api.Imaging;

namespace MnistService.Api.Predictions;

public static class PredictionsServiceCollectionExtensions
{
    /// <summary>Input reading, decoding and preprocessing, under the configured <see cref="LimitsOptions"/>.</summary>
    public static IServiceCollection AddPredictions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LimitsOptions>().Bind(configuration.GetSection(LimitsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        // Kestrel cuts off bodies over the limit too, also for endpoints that never read them.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>(
            (kestrel, limits) => kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBytes);
        services.AddSingleton<ImageDecoder>();
        services.AddSingleton<PredictionInputReader>();
        services.AddSingleton<PredictionService>();
        return services;
    }
}
