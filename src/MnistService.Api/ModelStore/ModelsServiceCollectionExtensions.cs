using MnistService.Api.Settings;

namespace MnistService.Api.ModelStore;

public static class ModelsServiceCollectionExtensions
{
    /// <summary>The model repository, loaded at start and kept in line with its directory.</summary>
    public static IServiceCollection AddModels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ModelsOptions>(configuration, ModelsOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ModelRepository>();
        services.AddHostedService<ModelDirectoryWatcher>();
        return services;
    }
}
