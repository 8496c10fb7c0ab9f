using System.Security.Cryptography;
using MnistService.Core.Data;

namespace MnistService.Core.Tests.Data;

public class MnistLoadingTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_a_directory_and_hashes_the_uncompressed_content(bool gzip)
    {
        var dir = TestMnist.WriteDirectory(trainCount: 30, testCount: 12, gzip: gzip);
        var data = Mnist.ReadDirectory(dir);

        Assert.Equal(30, data.Train.Count);
        Assert.Equal(12, data.Test.Count);
        Assert.Equal(30 * 784, data.Train.Images.Length);
        Assert.All(data.Train.Images, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(data.Train.Pixels[100] / 255f, data.Train.Images[100]);
        var raw = Mnist.ReadContent(MnistFiles.Find(dir, MnistFiles.TestLabels)!);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(raw)), data.Sha256[MnistFiles.TestLabels]);
        Assert.False(data.IsOfficial);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var dir = TestMnist.WriteDirectory();
        File.Delete(Path.Combine(dir, MnistFiles.TestLabels + ".gz"));
        var error = Assert.Throws<FileNotFoundException>(() => Mnist.ReadDirectory(dir));
        Assert.Contains(MnistFiles.TestLabels, error.Message);
    }

    [Theory]
    [InlineData(MnistSource.Option)]
    [InlineData(MnistSource.EnvironmentVariable)]
    public async Task A_directory_asked_for_without_the_files_is_an_error_naming_them_not_a_download(MnistSource source)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-mnist-{Guid.NewGuid():N}", "mnist");
        using var http = new HttpClient(new NoNetwork());
        var downloader = new MnistDownloader(http);

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => Mnist.LoadAsync(new MnistLocation(missing, source), downloader: downloader));

        Assert.Contains(missing, e.Message);
        Assert.All(MnistFiles.All, name => Assert.Contains(name, e.Message));
        Assert.False(Directory.Exists(missing), "the directory was created");

        var partial = TestMnist.WriteDirectory();
        File.Delete(Path.Combine(partial, MnistFiles.TestLabels + ".gz"));
        var named = await Assert.ThrowsAsync<FileNotFoundException>(() => Mnist.LoadAsync(new MnistLocation(partial, source), downloader: downloader));
        Assert.Contains($"lacks {MnistFiles.TestLabels}", named.Message);
        Assert.DoesNotContain(MnistFiles.TrainImages, named.Message);
    }

    /// <summary>Fails any request: the code under test must not download.</summary>
    private sealed class NoNetwork : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"Unexpected download of {request.RequestUri}");
    }

    [Fact]
    public void Images_and_labels_of_different_counts_are_refused()
    {
        var dir = TestMnist.WriteDirectory(trainCount: 20);
        IdxFile.Write(Path.Combine(dir, MnistFiles.TrainLabels + ".gz"), [19], new byte[19], gzip: true);
        var error = Assert.Throws<InvalidDataException>(() => Mnist.ReadDirectory(dir));
        Assert.Contains("19 labels", error.Message);
    }

    [Fact]
    public void A_label_outside_0_to_9_is_refused()
    {
        var dir = TestMnist.WriteDirectory(trainCount: 20);
        var labels = new byte[20];
        labels[7] = 12;
        IdxFile.Write(Path.Combine(dir, MnistFiles.TrainLabels + ".gz"), [20], labels, gzip: true);
        var error = Assert.Throws<InvalidDataException>(() => Mnist.ReadDirectory(dir));
        Assert.Contains("label 12 at index 7", error.Message);
    }

    [Fact]
    public void Images_of_the_wrong_size_are_refused()
    {
        var dir = TestMnist.WriteDirectory(trainCount: 4);
        IdxFile.Write(Path.Combine(dir, MnistFiles.TrainImages + ".gz"), [4, 32, 32], new byte[4 * 32 * 32], gzip: true);
        var error = Assert.Throws<InvalidDataException>(() => Mnist.ReadDirectory(dir));
        Assert.Contains("28x28", error.Message);
    }

    [Fact]
    public void Take_keeps_the_first_images_in_order()
    {
        var data = Mnist.ReadDirectory(TestMnist.WriteDirectory(trainCount: 30));
        var first = data.Train.Take(5);
        Assert.Equal(5, first.Count);
        Assert.Equal(data.Train.PixelsOf(4).ToArray(), first.PixelsOf(4).ToArray());
        Assert.Equal(data.Train.Labels[..5], first.Labels);
    }

    [Fact]
    public void The_real_MNIST_is_found_and_verified()
    {
        var data = TestMnist.Real;
        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        Assert.True(data.IsOfficial, "the data found for the tests is not the official MNIST content");
        // The tutorial's first test image is a 7.
        Assert.Equal(7, data.Test.Labels[0]);
    }
}
