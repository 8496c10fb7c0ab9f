using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace MnistService.Api.Settings;

/// <summary>
/// Options bound from their configuration section and checked at start, every failure worded for the
/// operator: the key, the rule, the value and where it came from ("Limits:MaxRequestBytes must be between
/// 1024 and 1073741824, but is -5 (from environment variable Limits__MaxRequestBytes)"). A value of the
/// wrong type ("five" for a number) is a failure like any other, not an exception that hides the rest.
/// </summary>
public static class ValidatedOptions
{
    /// <summary>Binds <typeparamref name="T"/> to <paramref name="section"/> and validates it when the host starts.</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new Validator<T>(configuration, section));
        return services.AddOptions<T>().Configure(options => Bind(configuration, section, options)).ValidateOnStart();
    }

    /// <summary>
    /// The section bound to a fresh <typeparamref name="T"/> when it is valid, else null: for what is set up
    /// while the app is built (Kestrel, the host), before the start validates, so that an invalid value is
    /// reported with every other one instead of failing the build on its own.
    /// </summary>
    public static T? TryRead<T>(IConfiguration configuration, string section) where T : class, new()
    {
        var options = new T();
        return BindAndCheck(configuration, section, options).Count == 0 ? options : null;
    }

    /// <summary>Binds the section onto <paramref name="options"/>; every value of the wrong type and every broken rule, worded.</summary>
    public static List<string> BindAndCheck(IConfiguration configuration, string section, object options) =>
        [.. Bind(configuration, section, options), .. Check(configuration, section, options)];

    /// <summary>Every data-annotation failure of <paramref name="options"/>, worded with its key, value and source.</summary>
    public static List<string> Check(IConfiguration configuration, string section, object options)
    {
        var failures = new List<string>();
        foreach (var property in Settable(options))
        {
            var key = $"{section}:{property.Name}";
            var value = property.GetValue(options);
            foreach (var rule in property.GetCustomAttributes<ValidationAttribute>().Where(rule => !rule.IsValid(value)))
            {
                failures.Add($"{key} {Describe(rule, key)}, but is {SettingSource.DescribeValue(configuration, key)}");
            }
        }
        return failures;
    }

    /// <summary>Binds property by property, so that one value of the wrong type leaves the others bound; returns those failures.</summary>
    private static List<string> Bind(IConfiguration configuration, string section, object options)
    {
        var failures = new List<string>();
        foreach (var property in Settable(options))
        {
            var key = $"{section}:{property.Name}";
            var setting = configuration.GetSection(key);
            try
            {
                if (setting.Value is not null || setting.GetChildren().Any())
                {
                    property.SetValue(options, setting.Get(property.PropertyType) ?? property.GetValue(options));
                }
            }
            catch (InvalidOperationException wrongType) // the binder's own words: "Failed to convert configuration value 'five' at ..."
            {
                var source = SettingSource.Find(configuration, key);
                failures.Add(wrongType.Message.TrimEnd('.') + (source is null ? "" : $" (from {source.Description})"));
            }
        }
        return failures;
    }

    private static IEnumerable<PropertyInfo> Settable(object options) =>
        options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0);

    private static string Describe(ValidationAttribute rule, string key) => rule switch
    {
        RangeAttribute range => $"must be between {range.Minimum} and {range.Maximum}",
        RequiredAttribute => "is required",
        RegularExpressionAttribute pattern => $"must match the regular expression '{pattern.Pattern}'",
        _ => rule.FormatErrorMessage(key).TrimEnd('.'),
    };

    private sealed class Validator<T>(IConfiguration configuration, string section) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            // Bound again onto a fresh instance for the failures: a property that did not bind kept its default,
            // which passes its rules, so only its binding failure is reported.
            var failures = Bind(configuration, section, Activator.CreateInstance(options.GetType())!);
            failures.AddRange(Check(configuration, section, options));
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
