using System.ComponentModel.DataAnnotations;

namespace MnistService.Api.Hosting;

/// <summary>
/// Options read straight from configuration, for what is set up while the app is built (Kestrel, the
/// host), before <c>ValidateOnStart</c> checks them: a valid value is used, an invalid one is left for
/// the start to report with every other invalid setting, instead of failing the build on its own.
/// Also the binding and data-annotation check that the start-up report and the forwarded-headers setup
/// repeat to name the failing member.
/// </summary>
public static class ValidOptions
{
    /// <summary>The section bound to a fresh <typeparamref name="T"/> when it passes its data annotations, else null.</summary>
    public static T? TryRead<T>(IConfiguration configuration, string section) where T : class, new()
    {
        var options = new T();
        return TryBind(configuration.GetSection(section), options) && Validate(options).Count == 0 ? options : null;
    }

    /// <summary>Binds <paramref name="section"/> onto <paramref name="options"/>; false for a value of the wrong type ("abc" for a number).</summary>
    public static bool TryBind(IConfigurationSection section, object options)
    {
        try
        {
            section.Bind(options);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Every data-annotation failure of <paramref name="options"/>, each with its member; empty when valid.</summary>
    public static List<ValidationResult> Validate(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
