using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using MnistService.Api.Settings;

namespace MnistService.Api.Clients;

/// <summary>
/// How long one request may take (section <c>RequestTimeouts</c>), body upload included. A request cut
/// off gets 408 problem+json: with the service's own work bounded by the limits, what runs out the
/// clock is a client that sends its body too slowly. This is the one clock for a slow body: Kestrel's
/// minimum data rate (240 bytes/s after 5 s) is off, or it would cut a slow upload at about 6 s with
/// its own wording, before the configured timeout. Kestrel's own clock for the headers (30 s by default;
/// its 408 has no body) is set to the same time: headers slower than that never reach the app.
/// </summary>
public sealed class TimeoutOptions
{
    public const string Section = "RequestTimeouts";

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

public static class RequestTimeouts
{
    public static IServiceCollection AddRequestTimeoutPolicy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<TimeoutOptions>(configuration, TimeoutOptions.Section);
        services.AddRequestTimeouts();
        services.AddOptions<KestrelServerOptions>().Configure(kestrel =>
        {
            kestrel.Limits.MinRequestBodyDataRate = null;
            // Read while Kestrel is built, before the start validates: an invalid value keeps Kestrel's default
            // here, and the start then fails naming it.
            if (ValidatedOptions.TryRead<TimeoutOptions>(configuration, TimeoutOptions.Section) is { } timeouts)
            {
                kestrel.Limits.RequestHeadersTimeout = timeouts.Timeout;
            }
        });
        services.AddOptions<RequestTimeoutOptions>()
            .Configure<IOptions<TimeoutOptions>>((timeouts, configured) =>
            {
                var timeout = configured.Value.Timeout;
                timeouts.DefaultPolicy = new RequestTimeoutPolicy
                {
                    Timeout = timeout,
                    TimeoutStatusCode = StatusCodes.Status408RequestTimeout,
                    WriteTimeoutResponse = context => context.RequestServices.GetRequiredService<IProblemDetailsService>()
                        .WriteAsync(new ProblemDetailsContext
                        {
                            HttpContext = context,
                            ProblemDetails =
                            {
                                Status = StatusCodes.Status408RequestTimeout,
                                Title = "Request Timeout",
                                Detail = $"The request took longer than {timeout.TotalSeconds:0.###} s and was cut off.",
                            },
                        }).AsTask(),
                };
            });
        return services;
    }
}
