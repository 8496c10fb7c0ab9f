using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using MnistService.Api.Settings;
using MnistService.Core.Imaging;

namespace MnistService.Api.Predictions;

public static class PredictionsServiceCollectionExtensions
{
    /// <summary>Input reading, decoding and preprocessing, under the configured <see cref="LimitsOptions"/>.</summary>
    public static IServiceCollection AddPredictions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<LimitsOptions>(configuration, LimitsOptions.Section);
        // Kestrel cuts off bodies over the limit too, also for endpoints that never read them. Kestrel is
        // made while the app is built, before options are validated at start, so it reads the section
        // itself and keeps its default for a value that fails: the start then fails and names that value.
        services.AddOptions<KestrelServerOptions>().Configure(kestrel =>
        {
            if (ValidatedOptions.TryRead<LimitsOptions>(configuration, LimitsOptions.Section) is { } limits)
            {
                kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBytes;
            }
        });
        services.AddSingleton(provider =>
        {
            var limits = provider.GetRequiredService<IOptions<LimitsOptions>>().Value;
            return new ImageDecoder(new ImageDecodeLimits(limits.MaxImagePixels, limits.MaxImageSide));
        });
        services.AddSingleton(provider =>
        {
            var configured = provider.GetRequiredService<IOptions<LimitsOptions>>().Value.MaxDecodedPixelsInFlight;
            return new DecodeBudget(configured > 0 ? configured : DecodeBudget.DefaultCapacity());
        });
        services.AddSingleton<PredictionInputReader>();
        services.AddSingleton<PredictionService>();
        services.AddHostedService<DecoderWarmUp>();
        return services;
    }

    /// <summary>The source-generated prediction request and answer, ahead of reflection for HTTP JSON.</summary>
    public static IServiceCollection AddJsonContracts(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
}
