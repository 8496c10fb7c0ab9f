namespace MnistService.Core.Data;

/// <summary>The four files of the MNIST database and the SHA-256 of their uncompressed content.</summary>
public static class MnistFiles
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    public static readonly IReadOnlyList<string> All = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>
    /// SHA-256 of the uncompressed files. The .gz bytes differ between mirrors (some recompress),
    /// the content does not, so the content is what we verify.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> OfficialSha256 = new Dictionary<string, string>
    {
        [TrainImages] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [TrainLabels] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [TestImages] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [TestLabels] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    /// <summary>The path of <paramref name="name"/> in <paramref name="directory"/>: raw or .gz, whichever exists.</summary>
    public static string? Find(string directory, string name)
    {
        foreach (var candidate in new[] { Path.Combine(directory, name), Path.Combine(directory, name + ".gz") })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static bool AllPresent(string directory) => All.All(name => Find(directory, name) is not null);
}
