using System.Text.Json;

namespace MnistService.Testing;

/// <summary>
/// The knobs of the reliability tests (Api.Tests/Reliability and MnistService.Reliability.Tests):
/// the default suite runs the short version, and tests/reliability/run-long.sh raises them through environment variables. When
/// RELIABILITY_RESULTS is set, each test also writes its figures there as JSON for docs/reliability.md.
/// </summary>
public static class ReliabilitySettings
{
    public static int Int(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    public static void Record(string name, object figures)
    {
        var directory = Environment.GetEnvironmentVariable("RELIABILITY_RESULTS");
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".json"), JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
    }
}
