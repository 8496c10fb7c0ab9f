using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.Security;
using MnistService.Api.Startup;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

/// <summary><c>--help</c> lists every setting the service reads, with its environment variable. The process itself is tested in Reliability.Tests.</summary>
public sealed class HelpTests
{
    [Fact]
    public void Every_setting_of_appsettings_json_is_listed_with_its_environment_variable()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "src", "MnistService.Api", "appsettings.json")));
        var keys = Keys(json.RootElement, "").Where(k => k != "AllowedHosts").ToList();
        Assert.NotEmpty(keys);

        foreach (var key in keys)
        {
            Assert.Contains($"{key} / {key.Replace(":", "__", StringComparison.Ordinal)}", ServiceHelp.Text);
        }
        Assert.Contains("Cors:AllowedOrigins / Cors__AllowedOrigins", ServiceHelp.Text);
        Assert.Contains("Models:Default / Models__Default", ServiceHelp.Text);
        Assert.Contains("(default: mnist-cnn;", ServiceHelp.Text);
    }

    [Fact]
    public void Every_setting_of_every_options_class_is_listed()
    {
        var sections = typeof(ServiceHelp).Assembly.GetTypes()
            .Select(type => (Type: type, Section: type.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
            .Where(options => options.Section is not null).ToList();
        Assert.Contains(sections, options => options.Type == typeof(SecurityHeadersOptions));

        var keys = sections.SelectMany(options => options.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.SetMethod is { IsPublic: true }).Select(property => $"{options.Section}:{property.Name}"));
        Assert.All(keys, key => Assert.Contains($"  {key} / {key.Replace(":", "__", StringComparison.Ordinal)}", ServiceHelp.Text));
    }

    [Fact]
    public void Every_endpoint_is_listed_with_its_methods()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory);
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);
        var lines = ServiceHelp.Text.Split('\n');

        var missing = new List<string>();
        foreach (var endpoint in endpoints)
        {
            // /jobs/{id}/events is written /jobs/ID/events, /datasets/mnist/test/{index:int} /datasets/mnist/test/INDEX.
            var path = Regex.Replace("/" + endpoint.RoutePattern.RawText!.Trim('/'), @"\{(\w+)[^}]*\}", m => m.Groups[1].Value.ToUpperInvariant());
            var listed = new Regex($@"(?<![\w/]){Regex.Escape(path)}(?![\w/])");
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                if (!lines.Any(line => listed.IsMatch(line) && Regex.IsMatch(line, $@"\b{method}\b")))
                {
                    missing.Add($"{method} {path}");
                }
            }
        }
        Assert.True(missing.Count == 0, "--help does not list " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("--help", true)]
    [InlineData("-h", true)]
    [InlineData("--urls=http://127.0.0.1:5000", false)]
    public void Help_is_asked_for_with_help_or_h(string argument, bool asked) =>
        Assert.Equal(asked, ServiceHelp.IsRequested([argument]));

    private static IEnumerable<string> Keys(JsonElement element, string prefix) => element.ValueKind == JsonValueKind.Object
        ? element.EnumerateObject().SelectMany(p => Keys(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}:{p.Name}"))
        : [prefix];
}
