using System.Collections;
using System.Diagnostics;
using System.ComponentModel.DataAnnotations;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace MnistService.Api.Hosting;

/// <summary>
/// Turns a failure to start (a port in use, a setting that fails validation or is not a number, a broken
/// appsettings.json) into one critical log line that says what failed, which setting and what to do, and
/// exit code 1, in place of an unhandled exception's stack trace and SIGABRT (exit code 134).
/// </summary>
/// <remarks>
/// Only when this program owns the process. Under WebApplicationFactory (and dotnet-ef, Swagger tools) the
/// entry point is run by the caller's HostFactoryResolver, which hands what the entry point throws to the
/// caller (the test); there the exception must propagate, so <see cref="IsReportedHere"/> is false.
/// </remarks>
public static partial class StartupFailure
{
    private const string Prefix = "MnistService could not start: ";

    /// <summary>True when this assembly is the process's entry point, so the exit code is ours to give.</summary>
    public static bool IsReportedHere(Exception failure) =>
        failure is not HostAbortedException && Assembly.GetEntryAssembly() == typeof(StartupFailure).Assembly;

    /// <summary>Logs the one line (stderr, in the service's console format) and returns the exit code, 1.</summary>
    public static int Report(Exception failure, string[] args)
    {
        // The configuration is read again the way the service read it, to name where a bad value came from.
        using var configuration = TryReadConfiguration(args);
        var json = bool.TryParse(configuration?["Logging:Json"], out var isJson) && isJson;
        using var logger = LoggingSetup.WriteToConsole(new LoggerConfiguration().WriteTo, json).CreateLogger();
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
        var causes = failure is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [failure];
        var settings = new List<string>();
        var others = new List<string>();
        var expected = true;
        foreach (var cause in causes)
        {
            switch (cause)
            {
                case OptionsValidationException invalid:
                    settings.AddRange(DescribeInvalidOptions(invalid, configuration));
                    break;
                case IOException bind when Find<AddressInUseException>(bind) is not null
                    || Find<SocketException>(bind) is { SocketErrorCode: SocketError.AddressAlreadyInUse }:
                    others.Add(DescribePortInUse(bind, configuration));
                    break;
                case IOException bind when Find<SocketException>(bind) is { SocketErrorCode: SocketError.AccessDenied }:
                    var (address, from, setting) = ListenAddress(bind, configuration);
                    others.Add($"this user may not listen on {address}{from} (ports below 1024 need privileges): set {setting} to a port above 1023");
                    break;
                case var _ when ThrownBy(cause, "Microsoft.Extensions.Configuration.", "Serilog.Settings.Configuration."):
                    var (error, namesKey) = DescribeConfigurationError(cause, configuration);
                    if (namesKey)
                    {
                        settings.Add(error);
                    }
                    else
                    {
                        others.Add(error + "; correct the configuration");
                    }
                    break;
                case var _ when ThrownBy(cause, "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.AddressBinder"):
                    var urls = configuration is null ? null : FindSource(configuration, "urls");
                    others.Add($"the address to listen on{(urls is { } set ? $", {set.Value} from {set.Description}," : "")} is not valid " +
                        $"({cause.Message.TrimEnd('.')}): set ASPNETCORE_URLS to one such as http://0.0.0.0:8080");
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

    private static IEnumerable<string> DescribeInvalidOptions(OptionsValidationException invalid, IConfiguration? configuration)
    {
        // Every options class names its configuration section in a Section constant.
        var section = invalid.OptionsType.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string;
        var annotationsOnly = invalid.Failures.All(f => f.StartsWith("DataAnnotation validation failed", StringComparison.Ordinal));
        List<ValidationResult> results = section is null || configuration is null || !annotationsOnly
            ? [] : Revalidate(invalid.OptionsType, configuration.GetSection(section));
        if (results.Count == 0)
        {
            return invalid.Failures; // validated some other way: the validator's own words
        }
        return results.SelectMany(result => result.MemberNames.Select(member =>
        {
            var key = $"{section}:{member}";
            var rule = (result.ErrorMessage ?? "is invalid").TrimEnd('.')
                .Replace($"The field {member} ", "", StringComparison.Ordinal)
                .Replace($"The {member} field ", "", StringComparison.Ordinal);
            return $"{key} {rule}, but is {Setting(configuration!, key)}";
        }));
    }

    /// <summary>The data-annotation results for a fresh instance bound from the section: which member, which rule.</summary>
    private static List<ValidationResult> Revalidate(Type optionsType, IConfigurationSection section)
    {
        object options;
        try
        {
            options = Activator.CreateInstance(optionsType)!;
        }
        catch (MissingMethodException)
        {
            return []; // no parameterless constructor: fall back to the exception's own failures
        }
        return ValidOptions.TryBind(section, options) ? ValidOptions.Validate(options) : [];
    }

    private static string DescribePortInUse(IOException bind, IConfiguration? configuration)
    {
        var (address, from, setting) = ListenAddress(bind, configuration);
        var port = Uri.TryCreate(address, UriKind.Absolute, out var uri) ? $"port {uri.Port}" : address;
        return $"{port} is in use ({address}{from}): set {setting} to a free port or stop the other process";
    }

    /// <summary>The address Kestrel could not bind, where it was set (", from ..."), and the setting to change.</summary>
    private static (string Address, string From, string Setting) ListenAddress(IOException bind, IConfiguration? configuration)
    {
        var match = BindAddress().Match(bind.Message);
        var address = match.Success ? match.Groups["address"].Value.TrimEnd('.', ':') : "its address";
        var source = configuration is null ? null : FindSource(configuration, "urls") ?? FindSource(configuration, "http_ports");
        var setting = source switch
        {
            { Provider: EnvironmentVariablesConfigurationProvider, Name: { } variable } => variable,
            { Provider: CommandLineConfigurationProvider } => "--urls (or ASPNETCORE_URLS)",
            _ => "ASPNETCORE_URLS",
        };
        return (address, source is null ? "" : $", from {source.Value.Description}", setting);
    }

    /// <summary>The messages of the error and its causes, with the source of the key when the error names one.</summary>
    private static (string Error, bool Key) DescribeConfigurationError(Exception error, IConfiguration? configuration)
    {
        var messages = string.Join(": ", Chain(error).Select(e => e.Message.TrimEnd('.')).Distinct());
        // The binder names the key: "Failed to convert configuration value 'x' at 'Section:Key' to type 'T'".
        var key = BinderKey().Match(error.Message);
        if (!key.Success)
        {
            return (messages, false); // a file that does not parse, a value read without its key
        }
        return configuration is not null && FindSource(configuration, key.Groups["key"].Value) is { } source
            ? ($"{messages} (from {source.Description})", true)
            : (messages, true);
    }

    /// <summary>"-5 (from environment variable Limits__MaxRequestBytes)", or "unset" when no source has it.</summary>
    private static string Setting(IConfiguration configuration, string key)
    {
        if (FindSource(configuration, key) is not { } source)
        {
            return "unset";
        }
        var value = source.Value.Length == 0 ? "empty" : source.Value.Length > 80 ? source.Value[..80] + "..." : source.Value;
        return $"{value} (from {source.Description})";
    }

    private readonly record struct Source(IConfigurationProvider Provider, string Value, string Description, string? Name);

    /// <summary>The provider whose value wins for <paramref name="key"/> (the last one that has it).</summary>
    private static Source? FindSource(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return null;
        }
        foreach (var provider in root.Providers.Reverse())
        {
            if (provider is ChainedConfigurationProvider { Configuration: { } chained } && FindSource(chained, key) is { } inner)
            {
                return inner;
            }
            if (!provider.TryGet(key, out var value))
            {
                continue;
            }
            value ??= "";
            switch (provider)
            {
                case EnvironmentVariablesConfigurationProvider:
                    var variable = EnvironmentVariableFor(key, value);
                    return new Source(provider, value, variable is null ? "an environment variable" : $"environment variable {variable}", variable);
                case CommandLineConfigurationProvider:
                    return new Source(provider, value, $"command line argument --{key}", null);
                case FileConfigurationProvider file:
                    return new Source(provider, value, file.Source.Path ?? "a configuration file", null);
                default:
                    return new Source(provider, value, provider.ToString() ?? provider.GetType().Name, null);
            }
        }
        return null;
    }

    /// <summary>The variable that set <paramref name="key"/>: "Limits__MaxRequestBytes", or a prefixed one such as ASPNETCORE_URLS.</summary>
    private static string? EnvironmentVariableFor(string key, string value)
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            var normalized = name.Replace("__", ":", StringComparison.Ordinal);
            var matches = new[] { "", "ASPNETCORE_", "DOTNET_" }.Any(prefix =>
                normalized.Equals(prefix + key, StringComparison.OrdinalIgnoreCase));
            if (matches && (string?)entry.Value == value)
            {
                return name;
            }
        }
        return null;
    }

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

    /// <summary>
    /// Whether the first frame outside the runtime's own System.* code is in one of the given types or
    /// namespaces (the configuration system; Kestrel's address parsing): a problem with a setting, not a bug.
    /// </summary>
    private static bool ThrownBy(Exception error, params string[] prefixes) =>
        new StackTrace(error, fNeedFileInfo: false).GetFrames()
            .Select(frame => frame.GetMethod()?.DeclaringType?.FullName)
            .FirstOrDefault(type => type is not null && !type.StartsWith("System.", StringComparison.Ordinal)) is { } thrower
        && prefixes.Any(prefix => thrower.StartsWith(prefix, StringComparison.Ordinal));

    private static T? Find<T>(Exception error) where T : Exception => Chain(error).OfType<T>().FirstOrDefault();

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    /// <summary>The host logs a start-up failure itself before throwing it; the thrower's caller reports it instead.</summary>
    internal static bool IsHostsOwnReport(LogEvent logEvent) =>
        logEvent.MessageTemplate.Text == "Hosting failed to start"
        && logEvent.Properties.TryGetValue(Constants.SourceContextPropertyName, out var context)
        && context is ScalarValue { Value: "Microsoft.Extensions.Hosting.Internal.Host" };

    [GeneratedRegex(@"Failed to bind to address (?<address>\S+)")]
    private static partial Regex BindAddress();

    [GeneratedRegex(@" at '(?<key>[^']+)'")]
    private static partial Regex BinderKey();
}
