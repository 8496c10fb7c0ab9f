namespace MnistService.Api.Hosting;

/// <summary>
/// Finds the repository's <c>wwwroot/</c> and <c>models/</c> when no path is configured, so that
/// <c>dotnet run --project src/MnistService.Api</c> from the repository root and a published app with
/// the folders beside it both work without configuration.
/// </summary>
public static class RepositoryPaths
{
    /// <summary>
    /// The first directory named <paramref name="name"/> found in <paramref name="start"/> or one of its
    /// ancestors, or null when there is none.
    /// </summary>
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

    /// <summary>
    /// A configured path (relative paths are taken from <paramref name="contentRoot"/>), or else the
    /// first <paramref name="name"/> directory found walking up from the content root.
    /// </summary>
    public static string? Resolve(string? configured, string contentRoot, string name) =>
        string.IsNullOrWhiteSpace(configured)
            ? FindUpwards(contentRoot, name)
            : Path.GetFullPath(Path.Combine(contentRoot, configured));
}
