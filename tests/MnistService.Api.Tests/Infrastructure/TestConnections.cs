using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MnistService.Api.Tests.Infrastructure;

/// <summary>
/// The in-memory server has no client address (and ASP.NET Core trusts X-Forwarded-For on a connection
/// without one). This gives each request the connection address its <see cref="ConnectionHeader"/> names,
/// before the service's own pipeline runs, as a socket would; and lets a test see, in the problem+json of
/// a 404, the client address and scheme the service ended up with.
/// </summary>
public static class TestConnections
{
    public const string ConnectionHeader = "X-Test-Connection";

    public static WebApplicationFactory<Program> WithConnectionAddresses(this ApiFactory factory) =>
        factory.WithWebHostBuilder(builder => builder.ConfigureServices(services =>
        {
            services.AddSingleton<IStartupFilter>(new ConnectionAddressFromHeader());
            services.PostConfigure<ProblemDetailsOptions>(options =>
            {
                var customize = options.CustomizeProblemDetails;
                options.CustomizeProblemDetails = context =>
                {
                    customize?.Invoke(context);
                    context.ProblemDetails.Extensions["seenClient"] = context.HttpContext.Connection.RemoteIpAddress?.ToString();
                    context.ProblemDetails.Extensions["seenScheme"] = context.HttpContext.Request.Scheme;
                };
            });
        }));

    /// <summary>A GET from <paramref name="connection"/> with the given forwarded headers (none when null).</summary>
    public static Task<HttpResponseMessage> Get(this HttpClient client, string path, string connection, string? forwardedFor = null, string? forwardedProto = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(ConnectionHeader, connection);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }

        return client.SendAsync(request);
    }

    /// <summary>The client address and scheme the service saw, from a request to a path that does not exist.</summary>
    public static async Task<(string? Client, string? Scheme)> Seen(this HttpClient client, string connection, string? forwardedFor = null, string? forwardedProto = null)
    {
        var problem = await HttpAssert.Problem(await client.Get("/no-such-page", connection, forwardedFor, forwardedProto), HttpStatusCode.NotFound);
        return (problem.GetProperty("seenClient").GetString(), problem.GetProperty("seenScheme").GetString());
    }

    private sealed class ConnectionAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[ConnectionHeader].ToString(), out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                    context.Connection.RemotePort = 50_000;
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
