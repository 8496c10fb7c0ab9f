using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using MnistService.Api.Settings;

namespace MnistService.Api.Metrics;

/// <summary>
/// Where Prometheus scrapes (section <c>Metrics</c>). With <see cref="Port"/> set, <c>GET /metrics</c>
/// answers on that port only, on the same hosts as the main address, and that port answers nothing else:
/// the scrape stays off the port clients and the Ingress reach, and off its rate limit. Without it,
/// /metrics is on the main port, rate-limited like every other request.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    [Range(1, 65535)]
    public int? Port { get; set; }

    /// <summary>True for a request that came in on the management port.</summary>
    public bool IsManagementRequest(HttpContext context) => Port is { } port && context.Connection.LocalPort == port;
}

public static class ManagementPort
{
    /// <summary>The options (checked at start: a port, not one the main address uses) and the cached scrape.</summary>
    public static IServiceCollection AddPrometheusScrape(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MetricsOptions>(configuration, MetricsOptions.Section);
        services.AddSingleton<IValidateOptions<MetricsOptions>>(new NotAMainPort(configuration));
        services.AddSingleton(_ => new ScrapeCache(TimeProvider.System));
        return services;
    }

    /// <summary>
    /// With <c>Metrics:Port</c> set: Kestrel listens on it too, and each port answers only its own
    /// requests (404 problem+json for the others). Goes after the status-code pages, which word the 404.
    /// </summary>
    public static WebApplication UseManagementPort(this WebApplication app)
    {
        // An invalid value is named when the start validates the options; until then there is no port.
        if (ValidatedOptions.TryRead<MetricsOptions>(app.Configuration, MetricsOptions.Section)?.Port is not { } port)
        {
            return app;
        }
        ListenOn(app, port);
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>();
        app.Use((context, next) =>
        {
            var isScrape = context.Request.Path.Equals(MetricsEndpoints.ScrapePath, StringComparison.OrdinalIgnoreCase);
            if (options.Value.IsManagementRequest(context) != isScrape)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        });
        return app;
    }

    /// <summary>
    /// Adds the management port to the addresses Kestrel binds, on each host of the main address. Set
    /// here, the addresses replace those the host would take from the configuration, so these are
    /// added first, read by the same rules.
    /// </summary>
    private static void ListenOn(WebApplication app, int port)
    {
        if (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>() is not { Addresses: { IsReadOnly: false } addresses })
        {
            return; // an in-memory server, which listens nowhere
        }
        if (addresses.Count == 0)
        {
            foreach (var url in ListenAddress.Urls(app.Configuration))
            {
                addresses.Add(url);
            }
        }
        foreach (var host in addresses.Select(url => BindingAddress.Parse(url).Host).Distinct(StringComparer.OrdinalIgnoreCase).ToList())
        {
            addresses.Add($"http://{host}:{port}");
        }
    }

    private sealed class NotAMainPort(IConfiguration configuration) : IValidateOptions<MetricsOptions>
    {
        public ValidateOptionsResult Validate(string? name, MetricsOptions options)
        {
            var main = ListenAddress.Of(configuration);
            return options.Port is { } port && ListenAddress.Urls(configuration).Any(url => TryPort(url) == port)
                ? ValidateOptionsResult.Fail($"{MetricsOptions.Section}:Port is {port}, which the main address ({main.Address}{main.From}) uses too: " +
                    "choose another port for the metrics")
                : ValidateOptionsResult.Success;
        }

        private static int? TryPort(string url)
        {
            try
            {
                return BindingAddress.Parse(url).Port;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
