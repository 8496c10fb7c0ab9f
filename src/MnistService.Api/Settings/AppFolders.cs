namespace MnistService.Api.Settings;

/// <summary>
/// Where the folders the service reads (<c>models/</c>, <c>wwwroot/</c>) are when no path is configured:
/// beside the app, as <c>dotnet publish</c> lays them out, or else the first found walking up from the
/// content root, as in the repository (<c>dotnet run --project src/MnistService.Api</c> from its root).
/// </summary>
public static class AppFolders
{
    /// <summary>
    /// A configured path (relative paths are taken from <paramref name="contentRoot"/>), or else the
    /// <paramref name="name"/> directory beside the app, or else the first one found walking up from the
    /// content root; null when there is none.
    /// </summary>
    public static string? Resolve(string? configured, string contentRoot, string name) =>
        Resolve(configured, contentRoot, name, AppContext.BaseDirectory);

    internal static string? Resolve(string? configured, string contentRoot, string name, string appDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(Path.Combine(contentRoot, configured));
        }
        var beside = Path.Combine(appDirectory, name);
        return Directory.Exists(beside) ? Path.GetFullPath(beside) : FindUpwards(contentRoot, name);
    }

    /// <summary>The first directory named <paramref name="name"/> in <paramref name="start"/> or one of its ancestors, or null.</summary>
    public static string? FindUpwards(string start, string name)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, name);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
