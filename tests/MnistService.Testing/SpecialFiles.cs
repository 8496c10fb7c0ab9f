using System.Runtime.InteropServices;

namespace MnistService.Testing;

/// <summary>Directory entries that are not ordinary files, for tests of what a folder of models may hold.</summary>
public static partial class SpecialFiles
{
    /// <summary>A named pipe, as <c>mkfifo</c> makes it: opening it to read blocks until a writer comes.</summary>
    public static void MakeFifo(string path)
    {
        if (MkFifo(path, Convert.ToUInt32("644", 8)) != 0)
        {
            throw new InvalidOperationException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>A sparse file of <paramref name="bytes"/> bytes, last written a minute ago: no disk and no memory until read.</summary>
    public static void MakeSparse(string path, long bytes)
    {
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            stream.SetLength(bytes);
        }
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}
