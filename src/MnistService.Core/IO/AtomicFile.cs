using System.Text;

namespace MnistService.Core.IO;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory
/// (same file system, so the rename is atomic), is flushed to disk, then renamed over the target.
/// A reader sees the old file or the new one, never half of one; on failure the old file is untouched.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content) =>
        Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(content)));

    public static void Write(string path, Action<Stream> write) => WriteTogether([(path, write)]);

    /// <summary>
    /// Replaces files that belong together (an IDX images file and its labels): every one is written to its temporary
    /// file first, and only then are they renamed over their targets, so a write that fails (a full disk) leaves every
    /// old file as it was, never a new one beside an old one.
    /// </summary>
    public static void WriteTogether(IReadOnlyList<(string Path, Action<Stream> Write)> files)
    {
        var written = new List<(string Temporary, string Target)>(files.Count);
        try
        {
            foreach (var (path, write) in files)
            {
                var target = Path.GetFullPath(path);
                var directory = Path.GetDirectoryName(target)
                    ?? throw new ArgumentException($"'{path}' names no file.", nameof(files));
                Directory.CreateDirectory(directory);

                // Hidden and unique, so concurrent writers and directory listings do not trip over it.
                var temporary = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
                written.Add((temporary, target));
                using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            foreach (var (temporary, target) in written)
            {
                File.Move(temporary, target, overwrite: true);
            }
        }
        catch
        {
            foreach (var (temporary, _) in written)
            {
                TryDelete(temporary);
            }
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
