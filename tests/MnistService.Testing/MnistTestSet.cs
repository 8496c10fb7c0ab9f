using MnistService.Core.Data;

namespace MnistService.Testing;

/// <summary>
/// The MNIST test set (10,000 images, 28x28, 0-255, white ink on black), found by the product's own rule
/// (<see cref="MnistLocator"/>: MNIST_DATA_DIR, else ../shared/mnist, else the user cache, where it is
/// downloaded when missing). Only the test split is read.
/// </summary>
public static class MnistTestSet
{
    private static readonly Lazy<string> LocatedDirectory = new(Locate);
    private static readonly Lazy<MnistSet> Set = new(Read);
    private static readonly Lazy<byte[][]> AllImages = new(() =>
        Enumerable.Range(0, Set.Value.Count).Select(i => Set.Value.PixelsOf(i).ToArray()).ToArray());

    /// <summary>The MNIST directory (all four files), e.g. for a trainer's <c>--data</c>.</summary>
    public static string Directory => LocatedDirectory.Value;

    public static byte[][] Images => AllImages.Value;
    public static byte[] Labels => Set.Value.Labels;

    public static byte[] PixelsOf(int index) => Set.Value.PixelsOf(index).ToArray();

    private static string Locate()
    {
        var location = MnistLocator.Locate();
        if (!MnistFiles.AllPresent(location.Directory))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            try
            {
                new MnistDownloader(http).DownloadMissingAsync(location.Directory).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is MnistDownloadException or HttpRequestException or IOException)
            {
                throw new InvalidOperationException(
                    $"The tests need MNIST: set {MnistLocator.EnvironmentVariable} to a directory with its four files, or put them in " +
                    $"../shared/mnist beside the repository. Downloading them to {location.Directory} failed: {e.Message}", e);
            }
        }
        return location.Directory;
    }

    private static MnistSet Read() => Mnist.ReadTestSet(Directory);
}
