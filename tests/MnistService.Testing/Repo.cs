using System.Reflection;
using MnistService.Core.Models;

namespace MnistService.Testing;

/// <summary>The repository under test: its root, the paths in it, and the build outputs the tests start.</summary>
public static class Repo
{
    /// <summary>The directory holding MnistService.sln (recorded at build time, else found above the test binaries).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests were built in (Release or Debug).</summary>
    public static string Configuration { get; } = Metadata("Configuration") ?? "Release";

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string ModelsDirectory => PathOf("models");

    /// <summary>The committed default model: the convolutional network.</summary>
    public static string DefaultModel => Path.Combine(ModelsDirectory, $"{DefaultModelChoice.Shipped}.onnx");

    /// <summary>The committed multi-layer perceptron, the tutorial's network (the page looks inside it).</summary>
    public static string MlpModel => Path.Combine(ModelsDirectory, "mnist-mlp.onnx");

    public static string WebRoot => PathOf("wwwroot");

    public static string DeployDirectory => PathOf("deploy");

    /// <summary>The service's build output (the test project references src/MnistService.Api so it is built).</summary>
    public static string ServiceDll => BuildOutput("src/MnistService.Api", "MnistService.Api.dll");

    /// <summary>mnist-train's build output.</summary>
    public static string WorkerDll => BuildOutput("src/MnistService.Trainer", "mnist-train.dll");

    private static string BuildOutput(string project, string dll)
    {
        var path = Path.Combine(PathOf(project), "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} ({Configuration}) first", path);
    }

    private static string? Metadata(string key) =>
        typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;

    private static string FindRoot()
    {
        if (Metadata("RepoRoot") is { Length: > 0 } fromBuild && File.Exists(Path.Combine(fromBuild, "MnistService.sln")))
        {
            return Path.GetFullPath(fromBuild);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MnistService.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("MnistService.sln not found above " + AppContext.BaseDirectory);
    }
}
