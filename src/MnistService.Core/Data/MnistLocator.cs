namespace MnistService.Core.Data;

/// <summary>Where the data was found, and by which rule.</summary>
public enum MnistSource { Option, EnvironmentVariable, SharedFolder, UserCache }

public sealed record MnistLocation(string Directory, MnistSource Source);

/// <summary>
/// Finds the MNIST directory: an explicit one (<c>--data</c>), else <c>MNIST_DATA_DIR</c>, else a
/// <c>shared/mnist</c> folder beside the project (../shared/mnist from the repository root, found
/// from the working directory or the program's folder upwards), else the user cache folder.
/// </summary>
public static class MnistLocator
{
    public const string EnvironmentVariable = "MNIST_DATA_DIR";

    public static MnistLocation Locate(string? explicitDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return new(Path.GetFullPath(explicitDirectory), MnistSource.Option);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new(Path.GetFullPath(fromEnvironment), MnistSource.EnvironmentVariable);
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            if (FindSharedFolder(start) is { } shared)
            {
                return new(shared, MnistSource.SharedFolder);
            }
        }

        return new(UserCacheDirectory(), MnistSource.UserCache);
    }

    /// <summary>The first <c>../shared/mnist</c> holding all four files, seen from <paramref name="start"/> or a parent.</summary>
    public static string? FindSharedFolder(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "mnist");
            if (Directory.Exists(candidate) && MnistFiles.AllPresent(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>$XDG_CACHE_HOME/mnist-service/mnist, ~/.cache/mnist-service/mnist, or LocalAppData on Windows.</summary>
    public static string UserCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg) ? xdg
            : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "mnist-service", "mnist");
    }
}
