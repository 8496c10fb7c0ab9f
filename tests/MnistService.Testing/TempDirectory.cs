namespace MnistService.Testing;

/// <summary>A directory under the system temp folder, deleted with everything in it at the end.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string purpose = "tests")
    {
        Path = New(purpose);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The names of what the directory holds, sorted.</summary>
    public string[] Entries() => Directory.GetFileSystemEntries(Path).Select(entry => System.IO.Path.GetFileName(entry)).Order().ToArray();

    public void Dispose() => TryDelete(Path);

    /// <summary>
    /// Creates <c>/tmp/mnist-PURPOSE-RANDOM</c>, short enough to hold a Unix socket (paths of at most 107 bytes).
    /// </summary>
    public static string New(string purpose)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mnist-{purpose}-{Guid.NewGuid().ToString("N")[..16]}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a directory tree; a file still held open by a process that is closing is left to the OS.</summary>
    public static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
