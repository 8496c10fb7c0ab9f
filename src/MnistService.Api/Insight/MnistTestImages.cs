using MnistService.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Insight;

/// <summary>
/// The MNIST test set, found by the trainer's rule (<see cref="MnistLocator"/>: MNIST_DATA_DIR, ../shared/mnist,
/// the user cache) and read on first use. The service never downloads it: when it is not there the answer says
/// where to put it, and the next request looks again.
/// </summary>
public sealed class MnistTestImages(Func<MnistLocation> locate)
{
    private readonly Lock _lock = new();
    private MnistSet? _set;

    public MnistTestImages() : this(() => MnistLocator.Locate())
    {
    }

    /// <summary>The image as a 28x28 grayscale PNG (white ink on black, as MNIST stores it) and its label.</summary>
    /// <exception cref="TestImageNotFoundException">The index is outside the test set.</exception>
    /// <exception cref="MnistUnavailableException">The test set is not where the locator looks, or does not read.</exception>
    public (byte[] Png, int Label) Get(int index)
    {
        var set = Load();
        if (index < 0 || index >= set.Count)
        {
            throw new TestImageNotFoundException(index, set.Count);
        }

        using var image = Image.LoadPixelData<L8>(set.PixelsOf(index), MnistSet.Columns, MnistSet.Rows);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return (png.ToArray(), set.Labels[index]);
    }

    private MnistSet Load()
    {
        lock (_lock)
        {
            if (_set is not null)
            {
                return _set;
            }

            var location = locate();
            try
            {
                return _set = Mnist.ReadTestSet(location.Directory);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                // ArgumentException: labels outside 0-9, or images and labels that do not pair up.
                throw new MnistUnavailableException(location.Directory, e.Message);
            }
        }
    }
}
