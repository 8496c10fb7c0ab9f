using System.Text;
using System.Text.Json;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>One Dockerfile instruction: keyword, leading <c>--flags</c>, and the rest of the line.</summary>
public sealed record Instruction(string Keyword, IReadOnlyDictionary<string, string> Flags, string Arguments, int Line)
{
    /// <summary>The arguments of the JSON (exec) form, e.g. <c>["./app", "--x"]</c>; null for the shell form.</summary>
    public IReadOnlyList<string>? ExecForm =>
        Arguments.TrimStart().StartsWith('[') ? JsonSerializer.Deserialize<string[]>(Arguments) : null;

    /// <summary>The command of <c>HEALTHCHECK [options] CMD ["exec", "form"]</c>.</summary>
    public IReadOnlyList<string> HealthcheckCommand =>
        Keyword == "HEALTHCHECK" && Arguments.StartsWith("CMD [", StringComparison.Ordinal)
            ? JsonSerializer.Deserialize<string[]>(Arguments[4..])!
            : throw new FormatException($"{this}: expected HEALTHCHECK [options] CMD [\"exec\", \"form\"].");

    /// <summary>Whitespace-separated words (COPY sources and destination, EXPOSE ports).</summary>
    public IReadOnlyList<string> Words => Arguments.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"line {Line}: {Keyword} {Arguments}";
}

public sealed record Stage(string Name, string From, IReadOnlyList<Instruction> Instructions)
{
    public IEnumerable<Instruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
    public Instruction? Last(string keyword) => Instructions.LastOrDefault(i => i.Keyword == keyword);

    /// <summary>ENV of this stage only, in order (KEY=VALUE pairs; the legacy "KEY VALUE" form is refused).</summary>
    public IReadOnlyDictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>();
        foreach (var instruction in All("ENV"))
        {
            foreach (var pair in instruction.Words)
            {
                var equals = pair.IndexOf('=');
                if (equals <= 0)
                {
                    throw new FormatException($"{instruction}: only ENV KEY=VALUE is understood.");
                }

                env[pair[..equals]] = pair[(equals + 1)..];
            }
        }

        return env;
    }
}

/// <summary>
/// A Dockerfile read the way BuildKit reads it: comments and parser directives dropped, backslash
/// continuations joined, one instruction per logical line, stages split at FROM.
/// </summary>
public sealed class Dockerfile
{
    public Dockerfile(string path)
    {
        Path = path;
        Stages = Parse(File.ReadAllLines(path));
    }

    public string Path { get; }
    public IReadOnlyList<Stage> Stages { get; }

    public Stage this[string name] => Stages.SingleOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException($"No stage '{name}' in {Path}.");

    /// <summary>The stage <c>docker build</c> builds without <c>--target</c>.</summary>
    public Stage DefaultTarget => Stages[^1];

    /// <summary>The chain of stages a target builds on, base first (FROM another stage's name).</summary>
    public IReadOnlyList<Stage> Chain(string target)
    {
        var chain = new List<Stage>();
        for (var stage = this[target]; ; stage = this[stage.From])
        {
            chain.Insert(0, stage);
            if (Stages.All(s => s.Name != stage.From))
            {
                return chain;
            }
        }
    }

    /// <summary>The external image a target finally runs on.</summary>
    public string BaseImage(string target) => Chain(target)[0].From;

    private static List<Stage> Parse(string[] lines)
    {
        var stages = new List<Stage>();
        List<Instruction>? current = null;
        string? name = null, from = null;
        var logical = new StringBuilder();
        var startLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith('#') || (logical.Length == 0 && trimmed.Length == 0))
            {
                continue;
            }

            if (logical.Length == 0)
            {
                startLine = i + 1;
            }

            if (line.TrimEnd().EndsWith('\\'))
            {
                logical.Append(line.TrimEnd()[..^1]).Append(' ');
                continue;
            }
            logical.Append(line);
            var text = logical.ToString().Trim();
            logical.Clear();

            var space = text.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
            var rest = space < 0 ? "" : text[(space + 1)..].Trim();
            var flags = new Dictionary<string, string>();
            while (rest.StartsWith("--", StringComparison.Ordinal))
            {
                var end = rest.IndexOfAny([' ', '\t']);
                var flag = end < 0 ? rest : rest[..end];
                var equals = flag.IndexOf('=');
                flags[equals < 0 ? flag[2..] : flag[2..equals]] = equals < 0 ? "" : flag[(equals + 1)..];
                rest = end < 0 ? "" : rest[(end + 1)..].TrimStart();
            }

            if (keyword == "FROM")
            {
                if (current is not null)
                {
                    stages.Add(new Stage(name!, from!, current));
                }

                var words = rest.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                from = words[0];
                name = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : $"stage-{stages.Count}";
                current = [];
                continue;
            }
            if (current is null)
            {
                throw new FormatException($"line {startLine}: {keyword} before the first FROM.");
            }

            current.Add(new Instruction(keyword, flags, rest, startLine));
        }
        if (current is not null)
        {
            stages.Add(new Stage(name!, from!, current));
        }

        return stages;
    }
}
