using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Connections;
using MnistService.Api.Metrics;
using MnistService.Api.Settings;
using MnistService.Core.Logging;
using Serilog;
using Serilog.Core;

namespace MnistService.Api.Startup;

/// <summary>
/// Turns a failure to start (a setting that fails its rules or is not a number, a broken appsettings.json,
/// a port in use) into one critical log line that says what failed, which setting and what to do, and
/// exit code 1, in place of an unhandled exception's stack trace and SIGABRT (exit code 134). The settings'
/// own checks word their failures (<see cref="ValidatedOptions"/>); this only gathers them.
/// </summary>
/// <remarks>
/// Only when this program owns the process. Under WebApplicationFactory (and dotnet-ef, Swagger tools) the
/// entry point is run by the caller's HostFactoryResolver, which hands what the entry point throws to the
/// caller (the test); there the exception must propagate, so <see cref="IsReportedHere"/> is false.
/// </remarks>
public static class StartupFailure
{
    private const string Prefix = "MnistService could not start: ";

    /// <summary>True when this assembly is the process's entry point, so the exit code is ours to give.</summary>
    public static bool IsReportedHere(Exception failure) =>
        failure is not HostAbortedException && Assembly.GetEntryAssembly() == typeof(StartupFailure).Assembly;

    /// <summary>Logs the one line (stderr, in the service's console format) and returns the exit code, 1.</summary>
    public static int Report(Exception failure, string[] args)
    {
        // The configuration is read again the way the service read it, to name where a listen address came from.
        using var configuration = TryReadConfiguration(args);
        var json = bool.TryParse(configuration?[ConsoleLog.JsonSetting], out var isJson) && isJson;
        using var logger = ConsoleLog.WriteToConsole(new LoggerConfiguration().WriteTo, json).CreateLogger();
        var (reason, expected) = Describe(failure, configuration);
        // A known cause is the whole story; anything else is a bug, whose stack trace is worth having.
        logger.ForContext(Constants.SourceContextPropertyName, typeof(StartupFailure).Assembly.GetName().Name)
            .Fatal(expected ? null : failure, Prefix + "{Reason:l}", reason);
        return 1;
    }

    /// <summary>
    /// What failed and what to do, in one sentence or a few joined by "; ", and whether the cause is a
    /// known one (configuration, a port) rather than a bug.
    /// </summary>
    public static (string Reason, bool Expected) Describe(Exception failure, IConfiguration? configuration)
    {
        IReadOnlyList<Exception> causes = failure is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [failure];
        // Background work cancelled because the start failed is a consequence, never the cause.
        if (causes.Any(cause => cause is not OperationCanceledException))
        {
            causes = [.. causes.Where(cause => cause is not OperationCanceledException)];
        }
        var settings = new List<string>();
        var others = new List<string>();
        var expected = true;
        foreach (var cause in causes)
        {
            var socketError = Chain(cause).OfType<SocketException>().FirstOrDefault()?.SocketErrorCode;
            switch (cause)
            {
                case Microsoft.Extensions.Options.OptionsValidationException invalid:
                    settings.AddRange(invalid.Failures);
                    break;
                case InvalidSettingException invalid:
                    settings.Add(invalid.Message);
                    break;
                case InvalidDataException unreadable: // a configuration file that does not parse
                    others.Add(string.Join(": ", Chain(unreadable).Select(e => e.Message.TrimEnd('.')).Distinct()) + "; correct the configuration");
                    break;
                case IOException when (socketError == SocketError.AddressAlreadyInUse || Chain(cause).OfType<AddressInUseException>().Any())
                    && MetricsPortIn(cause, configuration) is { } metricsPort:
                    var from = SettingSource.Find(configuration!, $"{MetricsOptions.Section}:Port")?.Description ?? "the configuration";
                    others.Add($"{MetricsOptions.Section}:Port {metricsPort} (from {from}) is in use: set it to a free port or stop the other process");
                    break;
                case IOException when socketError == SocketError.AddressAlreadyInUse || Chain(cause).OfType<AddressInUseException>().Any():
                    var listen = ListenAddress.Of(configuration);
                    others.Add($"{(listen.Port is { } port ? $"port {port}" : listen.Address)} is in use ({listen.Address}{listen.From}): " +
                        $"set {listen.Setting} to a free port or stop the other process");
                    break;
                case IOException when socketError == SocketError.AccessDenied:
                    listen = ListenAddress.Of(configuration);
                    others.Add($"this user may not listen on {listen.Address}{listen.From} (ports below 1024 need privileges): set {listen.Setting} to a port above 1023");
                    break;
                case var _ when ListenAddress.Of(configuration) is { Problem: { } problem } invalid:
                    others.Add($"the address to listen on, {invalid.Address}{invalid.From.TrimStart(',')}, is not valid ({problem}): set ASPNETCORE_URLS to one such as http://0.0.0.0:8080");
                    break;
                default:
                    others.Add($"{cause.GetType().Name}: {cause.Message}");
                    expected = false;
                    break;
            }
        }
        if (settings.Count > 0)
        {
            others.Add(string.Join("; ", settings) + (settings.Count == 1
                ? "; correct the setting or remove it to use the default"
                : "; correct these settings or remove them to use the defaults"));
        }
        return (string.Join("; ", others), expected);
    }

    /// <summary>The management port, when the failure to bind names it ("Failed to bind to address http://127.0.0.1:9464: ...").</summary>
    private static int? MetricsPortIn(Exception failure, IConfiguration? configuration) =>
        configuration is not null && ValidatedOptions.TryRead<MetricsOptions>(configuration, MetricsOptions.Section)?.Port is { } port
        && failure.Message.Contains($":{port}:", StringComparison.Ordinal)
            ? port
            : null;

    private static ConfigurationManager? TryReadConfiguration(string[] args)
    {
        try
        {
            return WebApplication.CreateBuilder(args).Configuration;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or InvalidOperationException)
        {
            return null; // the configuration itself is what failed
        }
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
