using System.Text.Json;
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
        Assert.Contains("(default: mnist-mlp;", ServiceHelp.Text);
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
