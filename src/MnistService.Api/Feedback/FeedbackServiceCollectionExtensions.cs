using Microsoft.Extensions.Options;
using MnistService.Api.ModelStore;
using MnistService.Api.Settings;
using MnistService.Core.Feedback;

namespace MnistService.Api.Feedback;

public static class FeedbackServiceCollectionExtensions
{
    /// <summary>Prediction ids, the feedback store (<see cref="FeedbackOptions.ConnectionString"/>) and its upkeep.</summary>
    public static IServiceCollection AddFeedback(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<FeedbackOptions>(configuration, FeedbackOptions.Section);
        services.AddSingleton<PredictionMemory>();
        services.AddSingleton(provider => FeedbackDatabase.Open(ConnectionString(
            provider.GetRequiredService<IOptions<FeedbackOptions>>().Value.ConnectionString,
            provider.GetRequiredService<ModelRepository>().Directory,
            provider.GetRequiredService<IHostEnvironment>().ContentRootPath)));
        services.AddSingleton<FeedbackService>();
        services.AddSingleton<FeedbackMaintenance>();
        services.AddHostedService(provider => provider.GetRequiredService<FeedbackMaintenance>());
        return services;
    }

    /// <summary>The configured string, an SQLite file taken from the content root when relative; else the default file beside the models.</summary>
    internal static string ConnectionString(string? configured, string modelDirectory, string contentRoot)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return FeedbackDatabase.DefaultConnectionString(modelDirectory);
        }
        if (FeedbackDatabase.IsPostgres(configured))
        {
            return configured;
        }
        var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(configured);
        if (sqlite.DataSource is { Length: > 0 } file && file != ":memory:" && !Path.IsPathRooted(file))
        {
            sqlite.DataSource = Path.GetFullPath(Path.Combine(contentRoot, file));
        }
        return sqlite.ConnectionString;
    }
}
