using System.Text.Json;

namespace MnistService.Api.Tests.Jobs;

/// <summary>A text/event-stream read as a client does: events separated by blank lines, each an <c>event:</c> name and JSON <c>data:</c>.</summary>
public static class ServerSentEvents
{
    public sealed record Event(string Name, JsonElement Data);

    public static IReadOnlyList<Event> Parse(string stream) =>
        stream.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(block =>
            {
                var lines = block.Split('\n');
                var name = lines.FirstOrDefault(l => l.StartsWith("event:", StringComparison.Ordinal))?[6..].Trim() ?? "message";
                var data = string.Join("\n", lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()));
                using var json = JsonDocument.Parse(data);
                return new Event(name, json.RootElement.Clone());
            })
            .ToList();
}
