using MnistService.Api.Hosting;

namespace MnistService.Api.Predictions;

public static class JsonContracts
{
    /// <summary>The source-generated contracts of the hot path first, reflection for the rest.</summary>
    public static IServiceCollection AddJsonContracts(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
}
