using Microsoft.Extensions.Options;
using MnistService.Core.Feedback;

namespace MnistService.Api.Feedback;

/// <summary>
/// The database's upkeep in the background: the schema migrated at start, answers past Feedback:RetentionDays
/// deleted at start and hourly, the field-accuracy gauges refreshed every 30 s. A database that is down is logged
/// and tried again next round; it never stops the service.
/// </summary>
public sealed class FeedbackMaintenance(FeedbackStore store, IOptions<FeedbackOptions> options, TimeProvider clock,
    ILogger<FeedbackMaintenance> logger) : BackgroundService
{
    public static readonly TimeSpan GaugeInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // the host starts serving without waiting for the database
        var nextRetention = DateTimeOffset.MinValue;
        var reported = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var version = await store.MigrateAsync(stoppingToken);
                if (!reported)
                {
                    logger.LogInformation("Feedback database: {Kind} {Database}, schema version {Version}", store.Kind, store.Describe(), version);
                    reported = true;
                }
                if (clock.GetUtcNow() >= nextRetention)
                {
                    await DeleteExpiredAsync(stoppingToken);
                    nextRetention = clock.GetUtcNow() + RetentionInterval;
                }
                FeedbackMetrics.Publish(await store.TotalsAsync(stoppingToken));
            }
            catch (FeedbackStoreUnavailableException e)
            {
                logger.LogWarning("{Message}; feedback answers 503 until it is back (predictions are not affected)", e.Message);
                reported = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // stopped mid-round (a start that failed, a shutdown): nothing to report
            }
            try
            {
                await Task.Delay(GaugeInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Deletes the answers older than Feedback:RetentionDays (none when it is 0).</summary>
    /// <returns>How many were deleted.</returns>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        if (options.Value.RetentionDays == 0)
        {
            return 0;
        }
        var deleted = await store.DeleteOlderThanAsync(clock.GetUtcNow().AddDays(-options.Value.RetentionDays), cancellationToken);
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} feedback answers older than {Days} days (Feedback:RetentionDays)", deleted, options.Value.RetentionDays);
        }
        return deleted;
    }
}
