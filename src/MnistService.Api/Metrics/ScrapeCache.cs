namespace MnistService.Api.Metrics;

/// <summary>
/// The Prometheus text of the last scrape, kept for <see cref="FreshFor"/>: rendering it walks every
/// metric and writes about 38 KB, and a scraper (or anyone else) asking many times a second would
/// otherwise pay that each time. Scrapes that come while it is being rendered wait for that one rendering.
/// </summary>
public sealed class ScrapeCache
{
    /// <summary>How long a rendering is served: short against Prometheus's scrape interval (15 s by default).</summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(1);

    private readonly Func<Task<byte[]>> _render;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private Task<byte[]>? _rendering;
    private byte[]? _text;
    private long _renderedAt;
    private int _renderings;

    /// <summary>The service's metrics (prometheus-net's default registry).</summary>
    public ScrapeCache(TimeProvider clock) : this(RenderDefaultRegistry, clock)
    {
    }

    internal ScrapeCache(Func<Task<byte[]>> render, TimeProvider clock)
    {
        _render = render;
        _clock = clock;
    }

    /// <summary>Renderings so far.</summary>
    public int Renderings => Volatile.Read(ref _renderings);

    /// <summary>
    /// The text: the last rendering while it is fresh, else the one under way, else a new one. The rendering
    /// is shared, so a scraper that leaves stops waiting for it without cancelling it for the others.
    /// </summary>
    public Task<byte[]> GetAsync(CancellationToken cancellationToken)
    {
        Task<byte[]> rendering;
        lock (_gate)
        {
            if (_text is not null && _clock.GetElapsedTime(_renderedAt) < FreshFor)
            {
                return Task.FromResult(_text);
            }
            // Started on the thread pool, never inline: RenderAsync takes the lock when it ends.
            rendering = _rendering ??= Task.Run(RenderAsync);
        }
        return rendering.WaitAsync(cancellationToken);
    }

    private async Task<byte[]> RenderAsync()
    {
        try
        {
            Interlocked.Increment(ref _renderings);
            var text = await _render();
            lock (_gate)
            {
                (_text, _renderedAt) = (text, _clock.GetTimestamp());
            }
            return text;
        }
        finally
        {
            lock (_gate)
            {
                _rendering = null; // a failed rendering is not kept: the next scrape tries again
            }
        }
    }

    private static async Task<byte[]> RenderDefaultRegistry()
    {
        using var text = new MemoryStream(64 * 1024);
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(text, CancellationToken.None);
        return text.ToArray();
    }
}
