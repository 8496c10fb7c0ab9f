using System.Collections;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace MnistService.Api.Settings;

/// <summary>
/// Where a configuration value came from (the provider whose value wins), so that a message about a bad
/// value can say where to correct it: "environment variable Limits__MaxRequestBytes", "appsettings.json".
/// </summary>
public sealed record SettingSource(string Value, string Description, string? EnvironmentVariable, bool FromCommandLine)
{
    /// <summary>"-5 (from environment variable Limits__MaxRequestBytes)", "empty (from ...)", or "unset".</summary>
    public static string DescribeValue(IConfiguration configuration, string key)
    {
        if (Find(configuration, key) is not { } source)
        {
            return "unset";
        }
        var value = source.Value.Length == 0 ? "empty" : source.Value.Length > 80 ? source.Value[..80] + "..." : source.Value;
        return $"{value} (from {source.Description})";
    }

    /// <summary>The source of <paramref name="key"/>: the last provider that has it, looking into chained configurations.</summary>
    public static SettingSource? Find(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return null;
        }
        foreach (var provider in root.Providers.Reverse())
        {
            if (provider is ChainedConfigurationProvider { Configuration: { } chained } && Find(chained, key) is { } inner)
            {
                return inner;
            }
            if (!provider.TryGet(key, out var value))
            {
                continue;
            }
            value ??= "";
            return provider switch
            {
                EnvironmentVariablesConfigurationProvider when EnvironmentVariableFor(key, value) is { } variable =>
                    new SettingSource(value, $"environment variable {variable}", variable, false),
                EnvironmentVariablesConfigurationProvider => new SettingSource(value, "an environment variable", null, false),
                CommandLineConfigurationProvider => new SettingSource(value, $"command line argument --{key}", null, true),
                FileConfigurationProvider file => new SettingSource(value, file.Source.Path ?? "a configuration file", null, false),
                _ => new SettingSource(value, provider.ToString() ?? "the configuration", null, false),
            };
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
}
