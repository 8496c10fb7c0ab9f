using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MnistService.Api.Clients;

namespace MnistService.Api.Tests.Reliability;

/// <summary>
/// Who may hold a connection: per client as the rate limit counts clients, the proxies held to the overall
/// limit only, and the overall limit fitted under the descriptor limit. The real process, under a lowered
/// descriptor limit, is tested in MnistService.Reliability.Tests (ConnectionLimitTests).
/// </summary>
public sealed class ConnectionAdmissionTests
{
    [Fact]
    public void A_client_holds_at_most_its_share_and_gets_a_place_back_when_a_connection_closes()
    {
        var admission = Admission(perClient: 2);
        var first = admission.TryAdmit(IPAddress.Parse("192.0.2.1"));
        var second = admission.TryAdmit(IPAddress.Parse("192.0.2.1"));

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(admission.TryAdmit(IPAddress.Parse("192.0.2.1")));
        Assert.Null(admission.TryAdmit(IPAddress.Parse("::ffff:192.0.2.1"))); // the same client through a dual-stack socket
        Assert.NotNull(admission.TryAdmit(IPAddress.Parse("192.0.2.2")));     // another client
        Assert.Equal(3, admission.Open);

        first!.Dispose();
        first.Dispose(); // once only
        Assert.Equal(2, admission.Open);
        Assert.NotNull(admission.TryAdmit(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void An_IPv6_client_is_one_64_network_whatever_address_it_takes()
    {
        var admission = Admission(perClient: 2);
        Assert.NotNull(admission.TryAdmit(IPAddress.Parse("2001:db8:1:2::10")));
        Assert.NotNull(admission.TryAdmit(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));

        Assert.Null(admission.TryAdmit(IPAddress.Parse("2001:db8:1:2::99")));
        Assert.NotNull(admission.TryAdmit(IPAddress.Parse("2001:db8:1:3::10")));
    }

    [Fact]
    public void The_configured_proxies_bring_every_client_and_are_held_to_the_overall_limit_only()
    {
        var admission = Admission(perClient: 1, overall: 5, settings: new()
        {
            ["ForwardedHeaders:KnownNetworks:0"] = "10.244.0.0/16",
            ["ForwardedHeaders:KnownProxies:0"] = "192.0.2.50",
        });

        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(admission.TryAdmit(IPAddress.Parse("10.244.7.9")));
        }
        Assert.NotNull(admission.TryAdmit(IPAddress.Parse("192.0.2.50")));
        Assert.NotNull(admission.TryAdmit(IPAddress.Parse("192.0.2.50")));
        // Five held: the overall limit refuses even a proxy, and a client of its own.
        Assert.Null(admission.TryAdmit(IPAddress.Parse("10.244.7.9")));
        Assert.Null(admission.TryAdmit(IPAddress.Parse("198.51.100.1")));
        // Loopback is not a proxy here unless configured: it has a client's share.
        var loopback = Admission(perClient: 1);
        Assert.NotNull(loopback.TryAdmit(IPAddress.Loopback));
        Assert.Null(loopback.TryAdmit(IPAddress.Loopback));
    }

    [Theory]
    [InlineData(10_000, 20_000L, 300, 10_000)] // plenty of descriptors: the setting
    [InlineData(10_000, 1_024L, 300, 468)]     // 1024 - 300 open - 256 reserved
    [InlineData(10_000, 512L, 300, 8)]          // nearly none left: a few all the same
    [InlineData(5, 512L, 300, 5)]
    [InlineData(10_000, null, 300, 10_000)]      // unknown (not Linux): the setting
    public void The_overall_limit_fits_under_the_descriptor_limit(int configured, long? descriptorLimit, int open, int expected) =>
        Assert.Equal(expected, ConnectionAdmission.Fit(configured, descriptorLimit, open));

    [Fact]
    public void The_descriptor_limit_is_the_soft_limit_of_proc_self_limits()
    {
        using var directory = new TempDirectory();
        var limits = directory.File("limits");
        File.WriteAllText(limits, """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            1024                 524288               files
            Max locked memory         8388608              8388608              bytes
            """);
        Assert.Equal(1024, DescriptorLimit.Read(limits));

        File.WriteAllText(limits, "Max open files            unlimited            unlimited            files\n");
        Assert.Null(DescriptorLimit.Read(limits));
        Assert.Null(DescriptorLimit.Read(directory.File("missing")));
        if (OperatingSystem.IsLinux())
        {
            Assert.True(DescriptorLimit.Current() > 0);
            Assert.True(DescriptorLimit.OpenNow() > 3);
        }
    }

    private static ConnectionAdmission Admission(int perClient, int overall = 1000, Dictionary<string, string?>? settings = null) =>
        new(Options.Create(new ConnectionLimitsOptions { MaxConnections = overall, MaxConnectionsPerClient = perClient }),
            new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build(),
            NullLogger<ConnectionAdmission>.Instance);
}
