using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using MnistService.Api.Jobs;

namespace MnistService.Api.Security;

/// <summary>Whether a request may spend the machine's CPU on training or change the models, and if not, why.</summary>
/// <param name="Allowed">Whether it may.</param>
/// <param name="Reason">Why, or why not and how to enable it.</param>
public sealed record TrainingAccessInfo(bool Allowed, string Reason);

/// <summary>
/// The one rule for starting and cancelling training jobs and for managing models: free from this
/// machine (a loopback or Unix-socket connection; behind a reverse proxy, the client the trusted proxy
/// names), from anywhere else only with <c>X-Api-Key</c> equal to <c>Training:ApiKey</c>.
/// </summary>
public sealed class TrainingAccess(IOptionsMonitor<TrainingOptions> options)
{
    public const string KeyHeader = "X-Api-Key";
    private const string Local = "from this machine (a loopback client)";

    public TrainingAccessInfo Decide(HttpContext context)
    {
        // No address: a Unix socket (or the in-memory test server), which only this machine can reach.
        if (context.Connection.RemoteIpAddress is not { } address || IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address))
        {
            return new(true, $"Allowed {Local} without a key.");
        }

        var key = options.CurrentValue.ApiKey;
        var sent = context.Request.Headers[KeyHeader].ToString();
        if (string.IsNullOrEmpty(key))
        {
            return new(false, $"Training and model changes are allowed {Local} only. To allow them from elsewhere, set Training:ApiKey " +
                              $"(environment variable Training__ApiKey) on the service and send that key in the {KeyHeader} header.");
        }
        if (sent.Length == 0)
        {
            return new(false, $"Training and model changes from another machine need the {KeyHeader} header with the service's " +
                              "Training:ApiKey (ask its operator); none was sent.");
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(key))
            ? new(true, $"Allowed with the {KeyHeader} key.")
            : new(false, $"The {KeyHeader} header does not match the service's Training:ApiKey.");
    }
}

public static class TrainingAccessEndpoints
{
    /// <summary>Refuses the endpoints' requests that <see cref="TrainingAccess"/> does not allow, with 403 problem+json saying how to enable them.</summary>
    public static TBuilder RequireTrainingAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var access = context.HttpContext.RequestServices.GetRequiredService<TrainingAccess>().Decide(context.HttpContext);
            return access.Allowed
                ? await next(context)
                : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed from here", detail: access.Reason);
        });
        return builder;
    }
}
