namespace MnistService.Api.Settings;

/// <summary>A list setting read entry by entry, so that a message about a bad entry can name its key.</summary>
public static class ListSetting
{
    /// <summary>
    /// The list's entries with their configuration keys. One value holding several entries separated by
    /// commas, semicolons or spaces (<c>Cors__AllowedOrigins="https://a.example, https://b.example"</c>) counts too.
    /// </summary>
    public static IEnumerable<(string Key, string Entry)> Entries(IConfiguration configuration, string key)
    {
        var list = configuration.GetSection(key);
        var values = list.GetChildren().Select(child => (child.Path, child.Value)).Prepend((list.Path, list.Value));
        foreach (var (path, value) in values)
        {
            foreach (var entry in (value ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                yield return (path, entry);
            }
        }
    }
}
