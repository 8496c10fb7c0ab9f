using System.ComponentModel.DataAnnotations;

namespace MnistService.Api.Hosting;

/// <summary>
/// Options read straight from configuration, for what is set up while the app is built (Kestrel, the
/// host), before <c>ValidateOnStart</c> checks them: a valid value is used, an invalid one is left for
/// the start to report with every other invalid setting, instead of failing the build on its own.
/// </summary>
public static class ValidOptions
{
    /// <summary>The section bound to a fresh <typeparamref name="T"/> when it passes its data annotations, else null.</summary>
    public static T? TryRead<T>(IConfiguration configuration, string section) where T : class, new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException)
        {
            return null; // a value of the wrong type ("abc" for a number)
        }
        return Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true) ? options : null;
    }
}
