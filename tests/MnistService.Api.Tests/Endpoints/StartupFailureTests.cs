using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MnistService.Api.Predictions;
using MnistService.Api.Security;
using MnistService.Api.Settings;
using MnistService.Api.Startup;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

/// <summary>
/// What a failed start tells the operator (<see cref="StartupFailure.Describe"/>), and that in a test host
/// the failure still reaches the test. The real process (one line, exit code 1) is tested in
/// MnistService.Reliability.Tests.
/// </summary>
public sealed class StartupFailureTests
{
    [Fact]
    public void An_invalid_setting_is_named_with_its_rule_its_value_and_where_it_came_from()
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(["--Limits:MaxRequestBytes=-5"]).Build();
        var failure = ValidationFailure<LimitsOptions>(configuration, LimitsOptions.Section);

        var (reason, expected) = StartupFailure.Describe(failure, configuration);

        Assert.True(expected);
        Assert.Equal("Limits:MaxRequestBytes must be between 1024 and 1073741824, but is -5 (from command line argument --Limits:MaxRequestBytes); " +
            "correct the setting or remove it to use the default", reason);
    }

    [Fact]
    public void Work_cancelled_because_the_start_failed_is_not_named_as_a_cause()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:5999" }).Build();
        var portInUse = new IOException("Failed to bind to address http://127.0.0.1:5999: address already in use.",
            new SocketException((int)SocketError.AddressAlreadyInUse));
        var failure = new AggregateException(portInUse, new TaskCanceledException());

        var (reason, expected) = StartupFailure.Describe(failure, configuration);

        Assert.True(expected, reason);
        Assert.StartsWith("port 5999 is in use", reason);
        Assert.DoesNotContain("Canceled", reason);
    }

    [Fact]
    public void A_setting_from_a_json_file_names_the_file()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "appsettings.Production.json");
        File.WriteAllText(file, """{ "SecurityHeaders": { "ReferrerPolicy": "" } }""");
        var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
        var failure = ValidationFailure<SecurityHeadersOptions>(configuration, SecurityHeadersOptions.Section);

        var (reason, _) = StartupFailure.Describe(failure, configuration);

        Assert.StartsWith("SecurityHeaders:ReferrerPolicy is required, but is empty (from appsettings.Production.json)", reason);
    }

    [Fact]
    public void Every_invalid_setting_fails_the_start_together_and_the_failure_reaches_the_test_host()
    {
        // Each of these is read at a different moment (Kestrel's limits while the app is built, the models'
        // options when the host makes the model watcher, the rest at start): all are still named together.
        var settings = new Dictionary<string, string?>
        {
            ["Models:Default"] = "../etc/passwd",
            ["Limits:MaxRequestBytes"] = "-1",
            ["SecurityHeaders:ReferrerPolicy"] = "",
            ["RequestTimeouts:Timeout"] = "00:00:00",
            ["Shutdown:Timeout"] = "00:00:00.001",
            ["RateLimiting:BurstLimit"] = "0",
        };
        using var factory = new ApiFactory(Repo.ModelsDirectory, settings);

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        // Not this process's to report: the test sees the exception itself.
        Assert.False(StartupFailure.IsReportedHere(failure));
        var (reason, expected) = StartupFailure.Describe(failure, new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        Assert.True(expected, reason);
        Assert.Contains("Models:Default must match the regular expression '^[A-Za-z0-9._-]+$', but is ../etc/passwd", reason);
        Assert.Contains("Limits:MaxRequestBytes must be between 1024 and 1073741824, but is -1", reason);
        Assert.Contains("SecurityHeaders:ReferrerPolicy is required, but is empty", reason);
        Assert.Contains("RequestTimeouts:Timeout must be between 00:00:00.0100000 and 01:00:00, but is 00:00:00", reason);
        Assert.Contains("Shutdown:Timeout must be between 00:00:00.1000000 and 00:10:00, but is 00:00:00.001", reason);
        Assert.Contains("RateLimiting:BurstLimit must be between 1 and 1000000, but is 0", reason);
        Assert.EndsWith("correct these settings or remove them to use the defaults", reason);
    }

    [Fact]
    public void A_failure_a_validator_worded_itself_is_passed_on_in_its_words()
    {
        var settings = new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = "not-an-address" };
        using var factory = new ApiFactory(Repo.ModelsDirectory, settings);
        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var (reason, expected) = StartupFailure.Describe(failure, new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

        Assert.True(expected, reason);
        Assert.StartsWith("ForwardedHeaders:KnownProxies:0 = 'not-an-address' is not an IP address", reason);
        Assert.EndsWith("; correct the setting or remove it to use the default", reason);
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_named_with_where_it_came_from()
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(["--Limits:MaxRequestBytes=five"]).Build();
        var failure = ValidationFailure<LimitsOptions>(configuration, LimitsOptions.Section);

        var (reason, expected) = StartupFailure.Describe(failure, configuration);

        Assert.True(expected, reason);
        Assert.StartsWith("Failed to convert configuration value 'five' at 'Limits:MaxRequestBytes' to type 'System.Int64'", reason);
        Assert.Contains("(from command line argument --Limits:MaxRequestBytes); correct the setting or remove it to use the default", reason);
    }

    [Fact]
    public void A_value_of_the_wrong_type_fails_the_start_together_with_the_other_invalid_settings()
    {
        var settings = new Dictionary<string, string?> { ["Limits:MaxRequestBytes"] = "five", ["RateLimiting:BurstLimit"] = "0" };
        using var factory = new ApiFactory(Repo.ModelsDirectory, settings);
        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var (reason, expected) = StartupFailure.Describe(failure, null);

        Assert.True(expected, reason);
        Assert.Contains("Failed to convert configuration value 'five' at 'Limits:MaxRequestBytes' to type 'System.Int64'", reason);
        Assert.Contains("RateLimiting:BurstLimit must be between 1 and 1000000, but is 0", reason);
        Assert.EndsWith("correct these settings or remove them to use the defaults", reason);
    }

    [Fact]
    public async Task A_port_in_use_is_named_with_the_setting_that_chose_it()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var builder = WebApplication.CreateSlimBuilder(["--urls", $"http://127.0.0.1:{port}"]);
        builder.WebHost.UseKestrel();
        await using var app = builder.Build();

        var failure = await Assert.ThrowsAnyAsync<IOException>(() => app.StartAsync());
        var (reason, expected) = StartupFailure.Describe(failure, builder.Configuration);

        Assert.True(expected, reason);
        Assert.Equal($"port {port} is in use (http://127.0.0.1:{port}, from command line argument --urls): " +
            "set --urls (or ASPNETCORE_URLS) to a free port or stop the other process", reason);
    }

    [Fact]
    public async Task An_address_that_is_not_valid_is_named_with_where_it_came_from()
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:99999"]);
        builder.WebHost.UseKestrel();
        await using var app = builder.Build();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        var (reason, expected) = StartupFailure.Describe(failure, builder.Configuration);

        Assert.True(expected, reason);
        Assert.StartsWith("the address to listen on, http://127.0.0.1:99999 from command line argument --urls, is not valid (", reason);
    }

    [Fact]
    public void A_configuration_file_that_does_not_parse_is_named_with_the_parser_position()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "appsettings.json");
        File.WriteAllText(file, """{ "Limits": { "MaxRequestBytes": 5 ,, } }""");
        var failure = Assert.ThrowsAny<Exception>(() => new ConfigurationBuilder().AddJsonFile(file).Build());

        var (reason, expected) = StartupFailure.Describe(failure, null);

        Assert.True(expected, reason);
        Assert.StartsWith($"Failed to load configuration from file '{file}': Could not parse the JSON file: ", reason);
        Assert.Contains("BytePositionInLine: 36", reason);
        Assert.EndsWith("; correct the configuration", reason);
    }

    [Fact]
    public void An_unexpected_failure_is_marked_so_that_its_stack_trace_is_kept()
    {
        var (reason, expected) = StartupFailure.Describe(new NullReferenceException("a bug"), null);

        Assert.False(expected);
        Assert.Equal("NullReferenceException: a bug", reason);
    }

    [Fact]
    public void Kestrel_takes_the_body_limit_when_valid_and_does_not_fail_the_build_when_not()
    {
        static long? KestrelLimit(string value)
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Limits:MaxRequestBytes"] = value }).Build();
            using var services = new ServiceCollection().AddPredictions(configuration).BuildServiceProvider();
            return services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize;
        }

        Assert.Equal(4096, KestrelLimit("4096"));
        var kestrelDefault = new KestrelServerOptions().Limits.MaxRequestBodySize;
        Assert.Equal(kestrelDefault, KestrelLimit("-5"));
        Assert.Equal(kestrelDefault, KestrelLimit("five"));
    }

    [Fact]
    public void The_host_takes_the_shutdown_timeout_when_valid_and_does_not_fail_the_build_when_not()
    {
        static TimeSpan HostTimeout(string value)
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Shutdown:Timeout"] = value }).Build();
            using var services = new ServiceCollection().AddGracefulShutdown(configuration).BuildServiceProvider();
            return services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        }

        Assert.Equal(TimeSpan.FromSeconds(7), HostTimeout("00:00:07"));
        var hostDefault = new HostOptions().ShutdownTimeout;
        Assert.Equal(hostDefault, HostTimeout("00:00:00.001"));
        Assert.Equal(hostDefault, HostTimeout("soon"));
    }

    /// <summary>The exception the options system throws for the section, as the app's ValidateOnStart would.</summary>
    private static OptionsValidationException ValidationFailure<T>(IConfiguration configuration, string section) where T : class
    {
        var services = new ServiceCollection();
        services.AddValidatedOptions<T>(configuration, section);
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<T>>().Value);
    }
}
