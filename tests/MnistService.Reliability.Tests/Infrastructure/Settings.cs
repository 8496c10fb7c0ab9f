using System.Text.Json;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>
/// The default suite runs short versions; tests/reliability/run-long.sh raises these through environment
/// variables, and with RELIABILITY_RESULTS set each test writes its figures there as JSON.
/// </summary>
public static class Settings
{
    public static int Int(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    public static void Record(string name, object figures)
    {
        var directory = Environment.GetEnvironmentVariable("RELIABILITY_RESULTS");
        if (string.IsNullOrEmpty(directory)) return;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".json"), JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
    }
}
