using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using MnistService.Api.Settings;
using IPNetwork = System.Net.IPNetwork;

namespace MnistService.Api.Clients;

/// <summary>
/// The reverse proxies allowed to say who the client is (section <c>ForwardedHeaders</c>). A request that
/// comes from one of them gets the client address of its X-Forwarded-For and the scheme of its
/// X-Forwarded-Proto, so the rate limit and the logs see the real client. From any other address these
/// headers are ignored: otherwise a client could pick its own address and dodge the limit.
/// Loopback is always trusted (ASP.NET Core's default); the entries here are added to it.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Single proxy addresses, e.g. <c>10.0.0.5</c> or <c>fd00::5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>10.244.0.0/16</c> (a cluster's pod network).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>
    /// How many X-Forwarded-For entries to read, right to left: 1 for one proxy in front of the service,
    /// more for a chain (each hop but the first must then be a known proxy too).
    /// </summary>
    [Range(1, 20)]
    public int ForwardLimit { get; set; } = 1;
}

public static class ForwardedHeadersSetup
{
    /// <summary>
    /// Applies X-Forwarded-For and X-Forwarded-Proto from trusted proxies. It must come before everything
    /// that looks at the client's address or scheme (request log, rate limiter).
    /// </summary>
    public static WebApplication UseTrustedForwardedHeaders(this WebApplication app)
    {
        // Read when the pipeline is built, as the host starts: a bad entry then stops the start at the
        // same point as every other invalid option.
        ((IApplicationBuilder)app).Use(next =>
        {
            var options = CreateOptions(app.Configuration, app.Logger);
            return new ForwardedHeadersMiddleware(next, app.Services.GetRequiredService<ILoggerFactory>(), Options.Create(options)).Invoke;
        });
        return app;
    }

    /// <summary>ASP.NET Core's options from the section; an <see cref="OptionsValidationException"/> names every bad entry.</summary>
    internal static ForwardedHeadersOptions CreateOptions(IConfiguration configuration, ILogger logger)
    {
        var section = configuration.GetSection(ForwardedHeadersSettings.Section);
        var settings = new ForwardedHeadersSettings();
        var failures = ValidatedOptions.BindAndCheck(configuration, ForwardedHeadersSettings.Section, settings);

        // The lists are read from the configuration itself, so that a message names the entry's key and one
        // environment variable may hold several entries. new() trusts loopback: 127.0.0.0/8 and ::1.
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = settings.ForwardLimit,
        };
        foreach (var (key, entry) in ListSetting.Entries(section, nameof(ForwardedHeadersSettings.KnownProxies)))
        {
            if (TryParseAddress(entry, out var address))
            {
                options.KnownProxies.Add(address);
            }
            else
            {
                failures.Add($"{key} = '{entry}' is not an IP address (e.g. 10.0.0.5); put networks such as 10.0.0.0/8 in {ForwardedHeadersSettings.Section}:KnownNetworks");
            }
        }
        foreach (var (key, entry) in ListSetting.Entries(section, nameof(ForwardedHeadersSettings.KnownNetworks)))
        {
            if (TryParseNetwork(entry, out var network, out var problem))
            {
                options.KnownIPNetworks.Add(network);
            }
            else
            {
                failures.Add($"{key} = '{entry}' {problem}");
            }
        }
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(ForwardedHeadersSettings.Section, typeof(ForwardedHeadersSettings), failures);
        }

        var trusted = options.KnownProxies.Select(p => p.ToString()).Concat(options.KnownIPNetworks.Select(n => n.ToString()));
        logger.LogInformation("Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) are accepted from {TrustedProxies}", string.Join(", ", trusted));
        if (options.KnownIPNetworks.Any(n => n.PrefixLength == 0))
        {
            logger.LogWarning("{Section}:KnownNetworks trusts every address: any client can set its own address with X-Forwarded-For, " +
                "so the per-client rate limit holds only if nothing but the proxy can reach the service", ForwardedHeadersSettings.Section);
        }
        return options;
    }

    /// <summary>Parses <c>address/prefix</c>, explaining what is wrong with a bad entry.</summary>
    internal static bool TryParseNetwork(string entry, out IPNetwork network, out string problem)
    {
        network = default;
        const string Form = "(address/prefix length, e.g. 10.244.0.0/16 or fd00::/8)";
        var slash = entry.IndexOf('/');
        if (slash < 0)
        {
            problem = TryParseAddress(entry, out _)
                ? $"has no prefix length {Form}; a single proxy address belongs in {ForwardedHeadersSettings.Section}:KnownProxies"
                : $"is not a network in CIDR notation {Form}";
            return false;
        }
        if (!TryParseAddress(entry.AsSpan(0, slash), out var address))
        {
            problem = $"does not start with an IP address {Form}";
            return false;
        }
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(entry.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > bits)
        {
            problem = $"has a prefix length that is not a whole number from 0 to {bits} {Form}";
            return false;
        }
        var masked = Mask(address, prefix);
        if (!masked.Equals(address))
        {
            problem = $"has bits set past its /{prefix} prefix; the network is {masked}/{prefix}";
            return false;
        }
        network = new IPNetwork(address, prefix);
        problem = "";
        return true;
    }

    /// <summary>An address written out in full: IPAddress alone reads "10.5" as 10.0.0.5.</summary>
    private static bool TryParseAddress(ReadOnlySpan<char> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address) =>
        IPAddress.TryParse(text, out address)
        && (address.AddressFamily != AddressFamily.InterNetwork || text.Count('.') == 3);

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - 8 * i, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }
}
