using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using MnistService.Api.Settings;

namespace MnistService.Api.Security;

/// <summary>
/// Which other sites' pages may call the API from a browser (section <c>Cors</c>). None by default: the
/// page is served by the service itself and needs no CORS.
/// </summary>
public sealed class CorsSettings
{
    public const string Section = "Cors";

    /// <summary>Origins such as <c>https://example.com</c> or <c>http://localhost:3000</c>; <c>*</c> for any.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

public static class CrossOriginRequests
{
    /// <summary>The origins, read and checked entry by entry at start; the policy the CORS middleware applies.</summary>
    public static IServiceCollection AddCrossOriginRequests(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<CorsSettings>>(new OriginsValidator(configuration));
        services.AddOptions<CorsSettings>()
            .Configure(options => options.AllowedOrigins = [.. ListSetting.Entries(configuration, Key).Select(e => e.Entry)])
            .ValidateOnStart();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<CorsSettings>>((cors, configured) =>
        {
            var origins = configured.Value.AllowedOrigins;
            if (origins.Count == 0)
            {
                return; // no default policy: no CORS headers, and a preflight is an unknown OPTIONS request
            }
            var policy = new CorsPolicyBuilder()
                .WithMethods(HttpMethods.Get, HttpMethods.Head, HttpMethods.Post)
                .AllowAnyHeader()
                .WithExposedHeaders("Retry-After")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
            cors.AddDefaultPolicy((origins.Contains("*") ? policy.AllowAnyOrigin() : policy.WithOrigins([.. origins])).Build());
        });
        return services;
    }

    /// <summary>
    /// Answers preflights and adds the CORS headers to the answers of allowed origins, errors included.
    /// A request without an Origin header (not from another site's page) passes straight through.
    /// </summary>
    public static WebApplication UseCrossOriginRequests(this WebApplication app)
    {
        app.UseCors();
        return app;
    }

    private const string Key = CorsSettings.Section + ":" + nameof(CorsSettings.AllowedOrigins);

    private sealed class OriginsValidator(IConfiguration configuration) : IValidateOptions<CorsSettings>
    {
        public ValidateOptionsResult Validate(string? name, CorsSettings options)
        {
            var failures = ListSetting.Entries(configuration, Key)
                .Where(e => e.Entry != "*" && !IsOrigin(e.Entry))
                .Select(e => $"{e.Key} = '{e.Entry}' is not an origin (scheme://host[:port] with nothing after it, e.g. https://example.com; or * for any)")
                .ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static bool IsOrigin(string entry) =>
            Uri.TryCreate(entry, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.GetLeftPart(UriPartial.Authority).Equals(entry.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
            && !entry.EndsWith('/');
    }
}
