using Microsoft.AspNetCore.Server.Kestrel.Core;
using MnistService.Api.Hosting;
using Microsoft.Extensions.Options;
using MnistService.Core.Imaging;

namespace MnistService.Api.Predictions;

public static class PredictionsServiceCollectionExtensions
{
    /// <summary>Input reading, decoding and preprocessing, under the configured <see cref="LimitsOptions"/>.</summary>
    public static IServiceCollection AddPredictions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LimitsOptions>().Bind(configuration.GetSection(LimitsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        // Kestrel cuts off bodies over the limit too, also for endpoints that never read them. Kestrel is
        // made while the app is built, before options are validated at start, so it reads the section
        // itself and keeps its default for a value that fails: the start then fails and names that value.
        services.AddOptions<KestrelServerOptions>().Configure(kestrel =>
        {
            if (ValidOptions.TryRead<LimitsOptions>(configuration, LimitsOptions.Section) is { } limits)
            {
                kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBytes;
            }
        });
        services.AddSingleton(provider =>
        {
            var limits = provider.GetRequiredService<IOptions<LimitsOptions>>().Value;
            return new ImageDecoder(new ImageDecodeLimits(limits.MaxImagePixels, limits.MaxImageSide));
        });
        services.AddSingleton<PredictionInputReader>();
        services.AddSingleton<PredictionService>();
        return services;
    }
}
