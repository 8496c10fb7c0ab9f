using System.Security.Cryptography;

namespace MnistService.Core.Data;

/// <summary>A download that failed on every mirror; the message lists each mirror's reason.</summary>
public sealed class MnistDownloadException(string message) : Exception(message);

/// <summary>
/// Downloads the MNIST files from public mirrors, tried in turn, and keeps a file only when the
/// SHA-256 of its uncompressed content is the expected one. Files are written atomically
/// (temporary name, then rename), so an interrupted download never leaves a half file behind.
/// </summary>
public sealed class MnistDownloader(
    HttpClient http,
    IReadOnlyList<Uri>? mirrors = null,
    IReadOnlyDictionary<string, string>? expectedSha256 = null,
    Action<string>? log = null)
{
    /// <summary>The mirrors the deep-learning frameworks use, then the original site.</summary>
    public static readonly IReadOnlyList<Uri> DefaultMirrors =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        new("https://yann.lecun.com/exdb/mnist/"),
    ];

    // The largest file (train images) is 9.9 MB compressed; anything far larger is not MNIST.
    private const long MaxDownloadBytes = 64L << 20;

    private readonly IReadOnlyList<Uri> _mirrors = mirrors ?? DefaultMirrors;
    private readonly IReadOnlyDictionary<string, string> _expected = expectedSha256 ?? MnistFiles.OfficialSha256;

    /// <summary>Downloads every file that <paramref name="directory"/> does not have yet.</summary>
    public async Task DownloadMissingAsync(string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        foreach (var name in MnistFiles.All)
        {
            if (MnistFiles.Find(directory, name) is null)
            {
                await DownloadAsync(name, directory, cancellationToken);
            }
        }
    }

    /// <summary>Fetches <c>NAME.gz</c> from the first mirror that serves the right content.</summary>
    public async Task<string> DownloadAsync(string name, string directory, CancellationToken cancellationToken = default)
    {
        var failures = new List<string>();
        foreach (var mirror in _mirrors)
        {
            var url = new Uri(mirror, name + ".gz");
            try
            {
                log?.Invoke($"Downloading {url}");
                var compressed = await GetAsync(url, cancellationToken);
                var content = Mnist.Gunzip(compressed, url.ToString());
                var sha = Convert.ToHexStringLower(SHA256.HashData(content));
                if (!string.Equals(sha, _expected[name], StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{url}: SHA-256 of the content is {sha}, expected {_expected[name]}");
                    continue;
                }
                var target = Path.Combine(directory, name + ".gz");
                var temporary = target + $".{Environment.ProcessId}.tmp";
                await File.WriteAllBytesAsync(temporary, compressed, cancellationToken);
                File.Move(temporary, target, overwrite: true);
                log?.Invoke($"Verified {name} ({content.Length:N0} bytes, SHA-256 {sha[..12]}…)");
                return target;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException
                                          or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{url}: {e.Message}");
            }
        }
        throw new MnistDownloadException(
            $"Could not download {name} from any mirror:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", failures) +
            $"{Environment.NewLine}Put the four MNIST files (.gz or raw) in a folder and pass it with --data or {MnistLocator.EnvironmentVariable}.");
    }

    private async Task<byte[]> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        if (response.Content.Headers.ContentLength > MaxDownloadBytes)
        {
            throw new InvalidDataException($"the server offers {response.Content.Headers.ContentLength:N0} bytes, more than any MNIST file");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxDownloadBytes)
            {
                throw new InvalidDataException("the download is larger than any MNIST file");
            }

            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
