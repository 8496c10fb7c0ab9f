using MnistService.Core.Data;

namespace MnistService.Core.Tests.Data;

/// <summary>Writes small MNIST-shaped directories for tests: random pixels, labels 0-9 in turn.</summary>
internal static class TestMnist
{
    public static string WriteDirectory(int trainCount = 20, int testCount = 10, bool gzip = true, int seed = 1)
    {
        var dir = Directory.CreateTempSubdirectory("mnist-test-").FullName;
        var random = new Random(seed);
        void WriteSplit(string images, string labels, int count)
        {
            var pixels = new byte[count * MnistSet.ImageSize];
            random.NextBytes(pixels);
            var digits = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var suffix = gzip ? ".gz" : "";
            IdxFile.Write(Path.Combine(dir, images + suffix), [count, 28, 28], pixels, gzip);
            IdxFile.Write(Path.Combine(dir, labels + suffix), [count], digits, gzip);
        }
        WriteSplit(MnistFiles.TrainImages, MnistFiles.TrainLabels, trainCount);
        WriteSplit(MnistFiles.TestImages, MnistFiles.TestLabels, testCount);
        return dir;
    }

    /// <summary>MNIST as the tests and CI find it: MNIST_DATA_DIR or ../shared/mnist.</summary>
    public static MnistData Real => LazyReal.Value;

    private static readonly Lazy<MnistData> LazyReal = new(() => Mnist.Load());
}
