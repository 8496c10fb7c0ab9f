using System.Net;
using MnistService.Core.Data;

namespace MnistService.Core.Tests.Data;

public class MnistDownloaderTests
{
    /// <summary>Serves a fixed answer per URL prefix and records what was asked.</summary>
    private sealed class FakeMirrors(Dictionary<string, Func<HttpResponseMessage>> answers) : HttpMessageHandler
    {
        public List<string> Requested { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var url = request.RequestUri!.ToString();
            Requested.Add(url);
            var answer = answers.FirstOrDefault(a => url.StartsWith(a.Key, StringComparison.Ordinal)).Value;
            return Task.FromResult(answer?.Invoke() ?? new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }

    private static readonly Uri[] Mirrors = [new("https://a.test/mnist/"), new("https://b.test/mnist/"), new("https://c.test/mnist/")];

    private static (string SourceDir, IReadOnlyDictionary<string, string> Sha) Source()
    {
        var dir = TestMnist.WriteDirectory(trainCount: 10, testCount: 10, gzip: true);
        return (dir, Mnist.ReadDirectory(dir).Sha256);
    }

    private static Func<HttpResponseMessage> Serve(byte[] bytes) => () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) };

    [Fact]
    public async Task Tries_mirrors_in_turn_and_keeps_only_verified_content()
    {
        var (source, sha) = Source();
        var name = MnistFiles.TestLabels;
        var good = File.ReadAllBytes(Path.Combine(source, name + ".gz"));
        var wrong = File.ReadAllBytes(Path.Combine(source, MnistFiles.TrainImages + ".gz"));
        var mirrors = new FakeMirrors(new()
        {
            ["https://a.test/"] = () => new HttpResponseMessage(HttpStatusCode.Forbidden),
            ["https://b.test/"] = Serve(wrong),
            ["https://c.test/"] = Serve(good),
        });
        var target = Directory.CreateTempSubdirectory("download-").FullName;
        var log = new List<string>();

        var path = await new MnistDownloader(new HttpClient(mirrors), Mirrors, sha, log.Add).DownloadAsync(name, target);

        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal(3, mirrors.Requested.Count);
        Assert.Equal($"https://c.test/mnist/{name}.gz", mirrors.Requested[2]);
        Assert.Single(Directory.GetFiles(target)); // no temporary file left behind
        Assert.Contains(log, l => l.StartsWith("Verified", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fails_with_every_mirrors_reason_when_none_serves_the_file()
    {
        var (_, sha) = Source();
        var mirrors = new FakeMirrors(new()
        {
            ["https://b.test/"] = Serve([1, 2, 3]),
            ["https://c.test/"] = () => throw new HttpRequestException("Name or service not known"),
        });
        var target = Directory.CreateTempSubdirectory("download-").FullName;

        var error = await Assert.ThrowsAsync<MnistDownloadException>(() =>
            new MnistDownloader(new HttpClient(mirrors), Mirrors, sha).DownloadAsync(MnistFiles.TestImages, target));

        Assert.Contains("a.test", error.Message);
        Assert.Contains("HTTP 404", error.Message);
        Assert.Contains("b.test", error.Message);
        Assert.Contains("Name or service not known", error.Message);
        Assert.Contains("--data", error.Message);
        Assert.Empty(Directory.GetFiles(target));
    }

    [Fact]
    public async Task Loading_an_empty_user_cache_downloads_all_four_files_and_reads_them()
    {
        var (source, sha) = Source();
        var mirrors = new FakeMirrors(MnistFiles.All.ToDictionary(
            n => $"https://a.test/mnist/{n}.gz", n => Serve(File.ReadAllBytes(Path.Combine(source, n + ".gz")))));
        var target = Path.Combine(Directory.CreateTempSubdirectory("download-").FullName, "cache");

        var data = await Mnist.LoadAsync(new MnistLocation(target, MnistSource.UserCache), downloader: new MnistDownloader(new HttpClient(mirrors), Mirrors, sha));

        Assert.Equal(10, data.Train.Count);
        Assert.Equal(sha, data.Sha256);
        Assert.Equal(4, mirrors.Requested.Count);
    }
}
