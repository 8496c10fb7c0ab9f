using MnistService.Core.Data;

namespace MnistService.Api.Tests.Infrastructure;

/// <summary>
/// The MNIST test set (10,000 images, 28x28, 0-255), read once through MnistService.Core.Data from
/// MNIST_DATA_DIR or ../shared/mnist.
/// </summary>
public static class MnistTestSet
{
    private static readonly Lazy<MnistSet> Set = new(() => Mnist.ReadDirectory(MnistLocator.Locate().Directory).Test);
    private static readonly Lazy<byte[][]> AllImages = new(() =>
        Enumerable.Range(0, Set.Value.Count).Select(i => Set.Value.PixelsOf(i).ToArray()).ToArray());

    public static byte[][] Images => AllImages.Value;
    public static byte[] Labels => Set.Value.Labels;
}
