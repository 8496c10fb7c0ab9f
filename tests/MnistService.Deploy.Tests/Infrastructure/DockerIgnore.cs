using System.Text;
using System.Text.RegularExpressions;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>
/// .dockerignore as Docker applies it: each pattern is cleaned (a trailing slash dropped) and matched
/// against the context-relative path with Go's filepath.Match plus <c>**</c> for any number of
/// directories; a pattern that matches a directory excludes everything in it; <c>!</c> re-includes;
/// the last matching pattern wins.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules = [];

    public DockerIgnore(string path)
    {
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var exclude = !line.StartsWith('!');
            var pattern = (exclude ? line : line[1..]).Trim().Trim('/');
            _rules.Add((ToRegex(pattern), exclude));
        }
    }

    /// <summary>True when the context path (forward slashes, relative to the context root) is not sent to the builder.</summary>
    public bool IsExcluded(string relativePath)
    {
        var parts = relativePath.Replace('\\', '/').Trim('/').Split('/');
        var excluded = false;
        // A path is excluded when it or one of its parent directories matches.
        for (var depth = 1; depth <= parts.Length; depth++)
        {
            var prefix = string.Join('/', parts[..depth]);
            foreach (var (pattern, exclude) in _rules)
            {
                if (pattern.IsMatch(prefix))
                {
                    excluded = exclude;
                }
            }
        }
        return excluded;
    }

    private static Regex ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        var segments = pattern.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment == "**")
            {
                regex.Append(last ? ".*" : "(?:.*/)?");
                continue;
            }
            foreach (var c in segment)
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }

            if (!last)
            {
                regex.Append('/');
            }
        }
        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
