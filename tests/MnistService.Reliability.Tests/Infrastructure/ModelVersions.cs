using System.Security.Cryptography;
using System.Text;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>
/// Two complete versions of the default model that answer alike but hash differently, a broken file,
/// and the ways a deployment replaces a model file: an atomic rename, or a plain overwrite in place.
/// </summary>
public static class ModelVersions
{
    public static byte[] A { get; } = File.ReadAllBytes(Repo.DefaultModel);

    /// <summary>
    /// A with a metadata entry in front (protobuf fields may come in any order), so that no prefix of B is A
    /// and a partly written B can never pass for a complete model.
    /// </summary>
    public static byte[] B { get; } = [.. ModelFiles.MetadataEntry("reliability.version", "B"), .. A];

    public static byte[] Broken { get; } = Encoding.UTF8.GetBytes("not a model: a file dropped into the models directory by mistake\n");

    public static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Write beside, then rename over: readers see the old file or the new one.</summary>
    public static void ReplaceAtomically(string path, byte[] bytes)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Truncate and rewrite in place, slowly, in chunks, as `cp` or a slow network copy does: the file
    /// is incomplete for the whole write. With <paramref name="stall"/> the writer stops half way for
    /// that long, longer than the service's settle time, so the service sees the half-written file.
    /// </summary>
    public static async Task OverwriteInPlaceAsync(string path, byte[] bytes, int chunk, TimeSpan pause, TimeSpan stall = default)
    {
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        for (var offset = 0; offset < bytes.Length; offset += chunk)
        {
            await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)));
            await stream.FlushAsync();
            var half = offset < bytes.Length / 2 && offset + chunk >= bytes.Length / 2;
            await Task.Delay(half && stall > TimeSpan.Zero ? stall : pause);
        }
    }
}
