using System.Text;
using System.Text.RegularExpressions;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>
/// Builds a Dockerfile target without Docker: every stage gets a directory standing for its root file
/// system; COPY copies from the build context (after .dockerignore) or another stage's directory; RUN
/// runs the stage's dotnet commands there; ENV, WORKDIR, USER, EXPOSE, HEALTHCHECK, ENTRYPOINT and CMD
/// are kept, so the result can be started the way the image starts. Container paths (/app, /models ...)
/// map into the stage's directory, or into a host directory mounted there.
/// What this cannot show: the base images' own contents (taken from their published Dockerfiles, see
/// <see cref="BaseImageEnvironment"/>) and Docker's layer cache.
/// </summary>
public sealed partial class ImageReplay
{
    /// <summary>
    /// The environment mcr.microsoft.com/dotnet/runtime-deps:10.0 sets (and so runtime, aspnet and sdk
    /// over it): src/runtime-deps/10.0/noble/*/Dockerfile in github.com/dotnet/dotnet-docker.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> BaseImageEnvironment = new Dictionary<string, string>
    {
        ["APP_UID"] = "1654",
        ["ASPNETCORE_HTTP_PORTS"] = "8080",
        ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
    };

    private readonly Dockerfile _dockerfile;
    private readonly string _context;
    private readonly DockerIgnore _ignore;
    private readonly string _workRoot;
    private readonly Action<string> _log;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<BuiltStage>> _built = new();

    public ImageReplay(Dockerfile dockerfile, string context, string workRoot, Action<string> log)
    {
        _dockerfile = dockerfile;
        _context = context;
        _ignore = new DockerIgnore(Path.Combine(context, ".dockerignore"));
        _workRoot = workRoot;
        _log = log;
    }

    /// <summary>A built stage: its root directory and the image configuration it ends with.</summary>
    public sealed record BuiltStage(
        string Name, string RootFs, string WorkDir, IReadOnlyDictionary<string, string> Environment,
        string? User, IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd, Instruction? Healthcheck,
        IReadOnlyList<string> Expose)
    {
        /// <summary>Maps a container path (absolute, or relative to WORKDIR) to the replay's directories.</summary>
        public string Map(string containerPath, IReadOnlyDictionary<string, string>? mounts = null)
        {
            var absolute = containerPath.StartsWith('/') ? containerPath : $"{WorkDir.TrimEnd('/')}/{containerPath}";
            absolute = "/" + string.Join('/', absolute.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
            if (mounts is not null)
            {
                foreach (var (mountPoint, hostDirectory) in mounts.OrderByDescending(m => m.Key.Length))
                {
                    if (absolute == mountPoint || absolute.StartsWith(mountPoint + "/", StringComparison.Ordinal))
                    {
                        return Path.Combine(hostDirectory, absolute[mountPoint.Length..].TrimStart('/'));
                    }
                }
            }

            return Path.Combine(RootFs, absolute.TrimStart('/'));
        }

        /// <summary>Maps every container path inside a command line or value (paths under the known roots only).</summary>
        public string MapText(string text, IReadOnlyDictionary<string, string>? mounts = null) =>
            ContainerPathPattern().Replace(text, m => Map(m.Value, mounts));
    }

    /// <summary>Builds a target and the stages it needs, each once; independent targets may be built in parallel, as BuildKit does.</summary>
    public BuiltStage Build(string target) =>
        _built.GetOrAdd(target, name => new Lazy<BuiltStage>(() => BuildStage(name))).Value;

    private BuiltStage BuildStage(string target)
    {
        var stage = _dockerfile[target];
        var isExternalBase = _dockerfile.Stages.All(s => s.Name != stage.From);
        var rootFs = Path.Combine(_workRoot, stage.Name);
        BuiltStage state;
        if (isExternalBase)
        {
            // What every base image has and the replay uses: /tmp and the app user's home.
            Directory.CreateDirectory(Path.Combine(rootFs, "tmp"));
            Directory.CreateDirectory(Path.Combine(rootFs, "home", "app"));
            state = new BuiltStage(stage.Name, rootFs, "/", new Dictionary<string, string>(BaseImageEnvironment),
                null, [], [], null, []);
        }
        else
        {
            var parent = Build(stage.From);
            CopyDirectory(parent.RootFs, rootFs, _ => false);
            state = parent with { Name = stage.Name, RootFs = rootFs };
        }
        var sdk = _dockerfile.BaseImage(target).StartsWith("mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal);

        foreach (var instruction in stage.Instructions)
        {
            switch (instruction.Keyword)
            {
                case "WORKDIR":
                    state = state with { WorkDir = instruction.Arguments.StartsWith('/') ? instruction.Arguments : $"{state.WorkDir.TrimEnd('/')}/{instruction.Arguments}" };
                    Directory.CreateDirectory(state.Map(state.WorkDir));
                    break;
                case "ENV":
                    var env = new Dictionary<string, string>(state.Environment);
                    foreach (var (key, value) in new Stage("", "", [instruction]).Environment())
                    {
                        env[key] = value;
                    }

                    state = state with { Environment = env };
                    break;
                case "COPY":
                    Copy(state, instruction);
                    break;
                case "RUN":
                    Run(state, instruction, sdk);
                    break;
                case "USER":
                    state = state with { User = Expand(instruction.Arguments, state.Environment) };
                    break;
                case "EXPOSE":
                    state = state with { Expose = [.. state.Expose, .. instruction.Words.Select(w => w.Split('/')[0])] };
                    break;
                case "HEALTHCHECK":
                    state = state with { Healthcheck = instruction };
                    break;
                case "ENTRYPOINT":
                    state = state with { Entrypoint = instruction.ExecForm ?? throw Unsupported(instruction, "use the exec (JSON) form"), Cmd = [] };
                    break;
                case "CMD":
                    state = state with { Cmd = instruction.ExecForm ?? throw Unsupported(instruction, "use the exec (JSON) form") };
                    break;
                case "LABEL":
                    break;
                default:
                    throw Unsupported(instruction, "the replay does not know this instruction");
            }
        }
        return state;
    }

    private void Copy(BuiltStage state, Instruction instruction)
    {
        var words = instruction.Words;
        if (words.Count < 2 || words.Any(w => w.IndexOfAny(['*', '?', '[']) >= 0))
        {
            throw Unsupported(instruction, "COPY needs sources and a destination, without wildcards");
        }

        var sources = words.Take(words.Count - 1).ToList();
        var destination = words[^1];
        var intoDirectory = destination.EndsWith('/') || sources.Count > 1;
        var target = state.Map(destination);

        foreach (var source in sources)
        {
            string from;
            Func<string, bool> excluded;
            if (instruction.Flags.TryGetValue("from", out var fromStage))
            {
                from = Build(fromStage).Map(source);
                excluded = _ => false;
            }
            else
            {
                var relative = ContextRelative(source);
                from = relative.Length == 0 ? _context : Path.Combine(_context, relative);
                if (relative.Length > 0 && _ignore.IsExcluded(relative))
                {
                    throw new InvalidOperationException($"{instruction}: '{source}' is excluded by .dockerignore, so Docker cannot copy it.");
                }

                excluded = path => _ignore.IsExcluded(Path.GetRelativePath(_context, path).Replace('\\', '/'));
            }

            if (Directory.Exists(from))
            {
                CopyDirectory(from, target, excluded);
            }
            else if (File.Exists(from))
            {
                var file = intoDirectory || Directory.Exists(target) ? Path.Combine(target, Path.GetFileName(from)) : target;
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.Copy(from, file, overwrite: true);
            }
            else
            {
                throw new InvalidOperationException($"{instruction}: '{source}' does not exist in the build context ({from}).");
            }
        }
    }

    private void Run(BuiltStage state, Instruction instruction, bool sdk)
    {
        var commands = instruction.Arguments.Split("&&", StringSplitOptions.TrimEntries);
        foreach (var command in commands)
        {
            var verb = command.Split(' ', 2)[0];
            if (verb == "chown")
            {
                _log($"{instruction.Line}: skipped (ownership needs root): {command}");
                continue;
            }
            if (verb == "dotnet" && !sdk)
            {
                throw Unsupported(instruction, "dotnet commands run in SDK stages only");
            }

            if (verb is not ("dotnet" or "mkdir" or "rm"))
            {
                throw Unsupported(instruction, $"the replay runs dotnet, mkdir and rm only, not '{verb}'");
            }

            if (verb == "rm" && command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Any(a => !a.StartsWith('-') && !ContainerPathPattern().IsMatch(a)))
            {
                throw Unsupported(instruction, "rm only of paths under the image's directories");
            }

            var mapped = state.MapText(command);
            _log($"{instruction.Line}: {mapped}");
            // No build servers left behind by the test.
            var result = Command.BashAsync(mapped, state.Map(state.WorkDir), new Dictionary<string, string>
            {
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
                ["UseSharedCompilation"] = "false",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            }).GetAwaiter().GetResult();
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"{instruction} failed with exit code {result.ExitCode}:\n{result.Output}");
            }
        }
    }

    /// <summary>A COPY source as a path inside the context: "./x/" is "x", "." is "".</summary>
    private static string ContextRelative(string source)
    {
        var relative = source.Trim('/');
        while (relative.StartsWith("./", StringComparison.Ordinal))
        {
            relative = relative[2..];
        }

        return relative == "." ? "" : relative;
    }

    private static string Expand(string text, IReadOnlyDictionary<string, string> env) =>
        VariablePattern().Replace(text, m => env.TryGetValue(m.Groups[1].Value + m.Groups[2].Value, out var value) ? value : "");

    private static void CopyDirectory(string from, string to, Func<string, bool> excluded)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            if (excluded(entry.FullName))
            {
                continue;
            }

            var target = Path.Combine(to, entry.Name);
            if (entry is DirectoryInfo directory)
            {
                CopyDirectory(directory.FullName, target, excluded);
            }
            else
            {
                File.Copy(entry.FullName, target, overwrite: true);
            }
        }
    }

    private static NotSupportedException Unsupported(Instruction instruction, string why) => new($"{instruction}: {why}.");

    // Container directories the images use (/source, /app, /models, /data, /tmp, /home): paths under them map into the replay.
    [GeneratedRegex(@"(?<![\w.~/-])(?:/source|/app|/models|/data|/tmp|/home)(?:/[^\s""';&|)]*)?(?=$|[\s""';&|)])")]
    private static partial Regex ContainerPathPattern();

    [GeneratedRegex(@"\$\{(\w+)\}|\$(\w+)")]
    private static partial Regex VariablePattern();
}
