namespace MnistService.Api.Tests.Infrastructure;

public static class TestPaths
{
    /// <summary>The repository root: the first directory above the test binaries holding MnistService.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ModelsDirectory => Path.Combine(RepoRoot, "models");

    /// <summary>The committed default model.</summary>
    public static string DefaultModel => Path.Combine(ModelsDirectory, "mnist-mlp.onnx");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MnistService.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("MnistService.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A directory under the system temp folder, deleted with everything in it at the end.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mnist-api-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
