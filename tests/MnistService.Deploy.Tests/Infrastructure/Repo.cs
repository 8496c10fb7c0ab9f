using System.Reflection;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>Paths of the repository under test, and small helpers the tests share.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string DeployDirectory => PathOf("deploy");

    /// <summary>The MNIST files: MNIST_DATA_DIR, else ../shared/mnist beside the repository.</summary>
    public static string MnistDirectory =>
        Environment.GetEnvironmentVariable("MNIST_DATA_DIR") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.GetFullPath(Path.Combine(Root, "..", "shared", "mnist"));

    public static string NewTempDirectory(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mnist-deploy-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        var fromBuild = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        if (fromBuild is not null && File.Exists(Path.Combine(fromBuild, "MnistService.sln")))
            return Path.GetFullPath(fromBuild);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MnistService.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (MnistService.sln).");
    }
}
