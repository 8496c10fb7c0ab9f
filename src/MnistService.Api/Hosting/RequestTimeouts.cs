using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Options;

namespace MnistService.Api.Hosting;

/// <summary>
/// How long one request may take (section <c>RequestTimeouts</c>), body upload included. A request cut
/// off gets 408 problem+json: with the service's own work bounded by the limits, what runs out the
/// clock is a client that sends its body too slowly.
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
        services.AddOptions<TimeoutOptions>().Bind(configuration.GetSection(TimeoutOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddRequestTimeouts();
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
                                Title = "Request timeout",
                                Detail = $"The request took longer than {timeout.TotalSeconds:0.###} s and was cut off.",
                            },
                        }).AsTask(),
                };
            });
        return services;
    }
}
