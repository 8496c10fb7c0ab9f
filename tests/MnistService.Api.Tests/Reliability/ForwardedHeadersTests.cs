using System.Net;
using Microsoft.Extensions.Options;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Reliability;

/// <summary>
/// Behind a reverse proxy every request comes from the proxy's address: the service must take the client
/// from X-Forwarded-For when, and only when, the proxy is one it trusts.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string Proxy = "10.1.0.5";

    /// <summary>Three requests per client, none back while the test runs (one refill a minute).</summary>
    private static readonly Dictionary<string, string?> TightLimit = new()
    {
        ["RateLimiting:Enabled"] = "true",
        ["RateLimiting:BurstLimit"] = "3",
        ["RateLimiting:RequestsPerSecond"] = "1",
        ["RateLimiting:ReplenishmentPeriod"] = "00:01:00",
    };

    [Fact]
    public async Task Clients_behind_a_trusted_proxy_get_their_own_buckets()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, With(TightLimit, "ForwardedHeaders:KnownProxies:0", Proxy));
        using var service = factory.WithConnectionAddresses();
        using var client = service.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await HttpAssert.Json(await client.Get("/models", Proxy, forwardedFor: "203.0.113.7"));
        }
        await HttpAssert.Problem(await client.Get("/models", Proxy, forwardedFor: "203.0.113.7"), HttpStatusCode.TooManyRequests);
        // The busy client used up its own bucket, not the proxy's: the next client and the proxy itself get through.
        await HttpAssert.Json(await client.Get("/models", Proxy, forwardedFor: "203.0.113.8"));
        await HttpAssert.Json(await client.Get("/models", Proxy));
        // An address the client put in front of the proxy's entry is not believed: it stays in its bucket.
        await HttpAssert.Problem(await client.Get("/models", Proxy, forwardedFor: "192.0.2.99, 203.0.113.7"), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task An_IPv6_client_is_limited_per_64_network_and_an_IPv4_client_per_address_however_it_connects()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, With(TightLimit, "ForwardedHeaders:KnownProxies:0", Proxy));
        using var service = factory.WithConnectionAddresses();
        using var client = service.CreateClient();

        // Three addresses of one /64, as one host with privacy addresses uses them: one bucket of three.
        foreach (var address in new[] { "2001:db8:1:2::a", "2001:db8:1:2:8000::1", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:4711" })
        {
            await HttpAssert.Json(await client.Get("/models", Proxy, forwardedFor: address));
        }
        await HttpAssert.Problem(await client.Get("/models", Proxy, forwardedFor: "2001:db8:1:2::b"), HttpStatusCode.TooManyRequests);
        // The next /64 is another site.
        await HttpAssert.Json(await client.Get("/models", Proxy, forwardedFor: "2001:db8:1:3::a"));

        // An IPv4 client has one bucket whether a socket reports it as 192.0.2.1 or as ::ffff:192.0.2.1 (dual stack).
        foreach (var connection in new[] { "192.0.2.1", "::ffff:192.0.2.1", "192.0.2.1" })
        {
            await HttpAssert.Json(await client.Get("/models", connection));
        }
        await HttpAssert.Problem(await client.Get("/models", "::ffff:192.0.2.1"), HttpStatusCode.TooManyRequests);
        await HttpAssert.Json(await client.Get("/models", "192.0.2.2"));
    }

    [Fact]
    public async Task A_trusted_proxy_sets_the_client_address_and_scheme_the_service_sees()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = Proxy });
        using var service = factory.WithConnectionAddresses();
        using var client = service.CreateClient();

        Assert.Equal(("203.0.113.7", "https"), await client.Seen(Proxy, forwardedFor: "203.0.113.7", forwardedProto: "https"));
        Assert.Equal(("2001:db8::7", "http"), await client.Seen(Proxy, forwardedFor: "[2001:db8::7]:4711"));
        Assert.Equal((Proxy, "http"), await client.Seen(Proxy));
    }

    [Fact]
    public async Task A_spoofed_X_Forwarded_For_from_an_untrusted_address_does_not_change_the_bucket()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, With(TightLimit, "ForwardedHeaders:KnownProxies:0", Proxy));
        using var service = factory.WithConnectionAddresses();
        using var client = service.CreateClient();
        const string Attacker = "198.51.100.20";

        Assert.Equal((Attacker, "http"), await client.Seen(Attacker, forwardedFor: "203.0.113.1", forwardedProto: "https"));
        for (var i = 2; i <= 3; i++)
        {
            await HttpAssert.Json(await client.Get("/models", Attacker, forwardedFor: $"203.0.113.{i}"));
        }
        // A fresh address in the header each time, and still the attacker's own bucket, now empty.
        await HttpAssert.Problem(await client.Get("/models", Attacker, forwardedFor: "203.0.113.4"), HttpStatusCode.TooManyRequests);
        await HttpAssert.Problem(await client.Get("/models", Attacker, forwardedFor: Proxy), HttpStatusCode.TooManyRequests);
        // The addresses it named have their buckets untouched.
        await HttpAssert.Json(await client.Get("/models", Proxy, forwardedFor: "203.0.113.4"));
    }

    [Fact]
    public async Task Without_configuration_only_loopback_is_trusted()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory);
        using var service = factory.WithConnectionAddresses();
        using var client = service.CreateClient();

        Assert.Equal(("203.0.113.7", "https"), await client.Seen("127.0.0.1", forwardedFor: "203.0.113.7", forwardedProto: "https"));
        Assert.Equal(("203.0.113.7", "http"), await client.Seen("::1", forwardedFor: "203.0.113.7"));
        Assert.Equal((Proxy, "http"), await client.Seen(Proxy, forwardedFor: "203.0.113.7", forwardedProto: "https"));
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.244.0.0/16")]
    [InlineData("ForwardedHeaders:KnownNetworks", "192.168.0.0/24, 10.244.0.0/16")] // one environment variable, several networks
    public async Task Proxies_anywhere_in_a_known_network_are_trusted(string key, string value)
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { [key] = value });
        using var service = factory.WithConnectionAddresses();
        using var client = service.CreateClient();

        Assert.Equal(("203.0.113.7", "https"), await client.Seen("10.244.3.17", forwardedFor: "203.0.113.7", forwardedProto: "https"));
        Assert.Equal(("203.0.113.7", "http"), await client.Seen("::ffff:10.244.200.1", forwardedFor: "203.0.113.7"));
        Assert.Equal(("10.245.0.1", "http"), await client.Seen("10.245.0.1", forwardedFor: "203.0.113.7", forwardedProto: "https"));
    }

    [Fact]
    public async Task A_chain_of_known_proxies_is_followed_as_far_as_ForwardLimit()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownNetworks:0"] = "10.0.0.0/8",
            ["ForwardedHeaders:ForwardLimit"] = "2",
        });
        using var service = factory.WithConnectionAddresses();
        using var client = service.CreateClient();

        // Load balancer 10.0.0.9 in front of the ingress 10.1.0.5: two hops, both known.
        Assert.Equal(("203.0.113.7", "https"), await client.Seen(Proxy, forwardedFor: "203.0.113.7, 10.0.0.9", forwardedProto: "https, http"));
        // The second entry from the right is not a proxy: the walk stops at the client it names.
        Assert.Equal(("198.51.100.20", "http"), await client.Seen(Proxy, forwardedFor: "203.0.113.7, 198.51.100.20"));
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.244.0.0/33", "prefix length")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.244.1.0/16", "the network is 10.244.0.0/16")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.244.0.5", "KnownProxies")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "pod-network", "CIDR")]
    [InlineData("ForwardedHeaders:KnownNetworks", "10.244.0.0/16, 10.96.0/12", "10.96.0/12")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.0/8", "KnownNetworks")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "ingress.local", "not an IP address")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.5", "not an IP address")] // 10.0.0.5 to IPAddress.Parse: a surprise
    [InlineData("ForwardedHeaders:ForwardLimit", "0", "ForwardLimit")]
    public void A_bad_entry_stops_the_start_with_a_message_naming_it(string key, string value, string explanation)
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient()).GetBaseException();

        var invalid = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(key, invalid.Message);
        Assert.Contains(explanation, invalid.Message);
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings, string key, string value) =>
        new(settings) { [key] = value };
}
