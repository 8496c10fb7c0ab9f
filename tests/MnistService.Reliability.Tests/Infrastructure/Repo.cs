using System.Reflection;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>Where the repository, its build outputs and scratch directories are.</summary>
public static class Repo
{
    private static string Metadata(string key) =>
        typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string Root { get; } = Path.GetFullPath(Metadata("RepoRoot"));
    public static string Configuration { get; } = Metadata("Configuration");

    public static string DefaultModel => Path.Combine(Root, "models", "mnist-mlp.onnx");

    public static string ServiceDll => Output("src/MnistService.Api", "MnistService.Api.dll");
    public static string WorkerDll => Output("src/MnistService.Trainer", "mnist-train.dll");

    public static string MnistDirectory =>
        Environment.GetEnvironmentVariable("MNIST_DATA_DIR") is { Length: > 0 } configured ? configured : Path.GetFullPath(Path.Combine(Root, "..", "shared", "mnist"));

    private static string Output(string project, string dll)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} ({Configuration}) first", path);
    }

    public static string NewTempDirectory(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mnist-reliability-{purpose}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(path);
        return path;
    }

    public static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
