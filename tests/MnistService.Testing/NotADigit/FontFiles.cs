namespace MnistService.Testing.NotADigit;

/// <summary>The machine's TrueType fonts (as fc-list lists them), for printed letters in several typefaces.</summary>
public static class FontFiles
{
    private static readonly string[] Folders = ["/usr/share/fonts", "/usr/local/share/fonts"];
    private static readonly Lazy<IReadOnlyList<string>> Found = new(Find);

    /// <summary>Every .ttf file, sorted by path so that a seed picks the same fonts on the same machine.</summary>
    /// <exception cref="InvalidOperationException">The machine has no TrueType font.</exception>
    public static IReadOnlyList<string> All => Found.Value;

    private static IReadOnlyList<string> Find()
    {
        var files = Folders.Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*.ttf", SearchOption.AllDirectories))
            .Where(f => !f.Contains("Math", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        return files.Count > 0
            ? files
            : throw new InvalidOperationException(
                $"The non-digit test set prints letters in the machine's fonts, but there is no .ttf file under {string.Join(" or ", Folders)}: run ./test.sh (it installs what the tests need) or apt-get install -y fonts-dejavu-core.");
    }
}
