using System.IO.Compression;
using System.Security.Cryptography;

namespace MnistService.Core.Data;

/// <summary>The MNIST training and test splits, where they were found, and the SHA-256 of each file.</summary>
public sealed record MnistData(MnistSet Train, MnistSet Test, string Directory, IReadOnlyDictionary<string, string> Sha256)
{
    /// <summary>True when every file is byte-for-byte the official MNIST content.</summary>
    public bool IsOfficial => MnistFiles.All.All(n => Sha256[n] == MnistFiles.OfficialSha256[n]);
}

/// <summary>Loads MNIST from the first place that has it, downloading it into the user cache when that is where it is looked for.</summary>
public static class Mnist
{
    /// <param name="dataDirectory">An explicit directory (the trainer's <c>--data</c>), or null to search.</param>
    /// <param name="log">Progress messages (where the data was found, downloads).</param>
    /// <exception cref="FileNotFoundException">A directory that was asked for lacks files (named in the message).</exception>
    public static MnistData Load(string? dataDirectory = null, Action<string>? log = null) =>
        LoadAsync(dataDirectory, log).GetAwaiter().GetResult();

    /// <inheritdoc cref="Load"/>
    public static Task<MnistData> LoadAsync(string? dataDirectory = null, Action<string>? log = null,
        MnistDownloader? downloader = null, CancellationToken cancellationToken = default) =>
        LoadAsync(MnistLocator.Locate(dataDirectory), log, downloader, cancellationToken);

    /// <summary>
    /// Reads MNIST from <paramref name="location"/>. Only the user cache is downloaded into: a directory that
    /// was asked for (an option, <c>MNIST_DATA_DIR</c>) and lacks files is a mistake to report, not a
    /// place to create and fill.
    /// </summary>
    /// <exception cref="FileNotFoundException">A directory that was asked for lacks files (named in the message).</exception>
    public static async Task<MnistData> LoadAsync(MnistLocation location, Action<string>? log = null,
        MnistDownloader? downloader = null, CancellationToken cancellationToken = default)
    {
        if (!MnistFiles.AllPresent(location.Directory))
        {
            if (location.Source != MnistSource.UserCache)
            {
                throw new FileNotFoundException(MissingFilesMessage(location), location.Directory);
            }
            log?.Invoke($"MNIST is not in {location.Directory} ({location.Source}); downloading it there.");
            using var owned = downloader is null ? new HttpClient { Timeout = TimeSpan.FromMinutes(5) } : null;
            downloader ??= new MnistDownloader(owned!, log: log);
            await downloader.DownloadMissingAsync(location.Directory, cancellationToken);
        }
        else
        {
            log?.Invoke($"MNIST found in {location.Directory} ({location.Source}).");
        }
        return ReadDirectory(location.Directory);
    }

    private static string MissingFilesMessage(MnistLocation location)
    {
        var missing = MnistFiles.All.Where(name => MnistFiles.Find(location.Directory, name) is null);
        var given = location.Source == MnistSource.EnvironmentVariable ? $"the directory {MnistLocator.EnvironmentVariable} names" : "the directory asked for";
        var what = Directory.Exists(location.Directory)
            ? $"lacks {string.Join(", ", missing)} (raw or .gz)"
            : $"does not exist, so it lacks all four MNIST files ({string.Join(", ", MnistFiles.All)})";
        return $"MNIST is not in {location.Directory}, {given}: it {what}. " +
               $"Point to a folder holding the four files, or name none to use (and download into) {MnistLocator.UserCacheDirectory()}.";
    }

    /// <summary>Reads the four files of a directory (raw or .gz) and hashes their uncompressed content.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid IDX file or the files do not match.</exception>
    public static MnistData ReadDirectory(string directory)
    {
        var arrays = new Dictionary<string, IdxArray>();
        var hashes = new Dictionary<string, string>();
        foreach (var name in MnistFiles.All)
        {
            arrays[name] = ReadArray(directory, name, out var hash);
            hashes[name] = hash;
        }
        return new MnistData(
            MnistSet.From(arrays[MnistFiles.TrainImages], arrays[MnistFiles.TrainLabels], MnistFiles.TrainImages, MnistFiles.TrainLabels),
            MnistSet.From(arrays[MnistFiles.TestImages], arrays[MnistFiles.TestLabels], MnistFiles.TestImages, MnistFiles.TestLabels),
            Path.GetFullPath(directory),
            hashes);
    }

    /// <summary>The test split alone (two of the four files), for showing test images by their index.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid IDX file or the files do not match.</exception>
    public static MnistSet ReadTestSet(string directory) => MnistSet.From(
        ReadArray(directory, MnistFiles.TestImages, out _), ReadArray(directory, MnistFiles.TestLabels, out _), MnistFiles.TestImages, MnistFiles.TestLabels);

    private static IdxArray ReadArray(string directory, string name, out string sha256)
    {
        var path = MnistFiles.Find(directory, name)
            ?? throw new FileNotFoundException($"MNIST file {name} (or {name}.gz) is missing in {directory}.", Path.Combine(directory, name));
        var content = ReadContent(path);
        sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        try
        {
            return IdxFile.Read(new MemoryStream(content, writable: false));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The uncompressed bytes of a file, gunzipping it when it starts with the gzip magic.</summary>
    public static byte[] ReadContent(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes is [0x1f, 0x8b, ..] ? Gunzip(bytes, path) : bytes;
    }

    internal static byte[] Gunzip(byte[] compressed, string what)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream(compressed.Length * 4);
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{what}: the gzip data is corrupt or truncated ({e.Message}).", e);
        }
    }
}
