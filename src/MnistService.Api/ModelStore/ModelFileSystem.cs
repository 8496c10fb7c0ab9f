using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MnistService.Api.ModelStore;

/// <summary>What a directory entry is, seen without following a symbolic link (lstat).</summary>
public enum ModelFileKind { Regular, SymbolicLink, Directory, Fifo, Socket, CharacterDevice, BlockDevice, Unknown }

/// <summary>What identifies one version of a file on disk without reading it.</summary>
/// <param name="Inode">The file's inode (0 where unknown): a file renamed over another is a new version even with the same size and time.</param>
/// <param name="ChangeUtc">The inode change time: a chmod that makes an unreadable file readable is a change too.</param>
public readonly record struct ModelFileStamp(long Length, DateTime LastWriteUtc, ulong Inode = 0, DateTime ChangeUtc = default)
{
    /// <summary>The stamp as .NET sees it (no inode); for files checked outside the repository.</summary>
    public static ModelFileStamp Of(FileInfo file) => new(file.Length, file.LastWriteTimeUtc);
}

/// <summary>A directory entry's type and stamp, as lstat gives them.</summary>
public readonly record struct ModelFileStatus(ModelFileKind Kind, ModelFileStamp Stamp);

/// <summary>An entry could not be looked at, opened or read.</summary>
/// <param name="transient">Trying again later may work (EMFILE, EIO) and says nothing about the file.</param>
/// <param name="changed">The entry is not the one that was looked at any more (gone, or replaced by a link): look again.</param>
public sealed class ModelFileAccessException(string message, bool transient, bool changed) : IOException(message)
{
    public bool Transient { get; } = transient;
    public bool Changed { get; } = changed;
}

/// <summary>
/// The model directory's files, looked at the way an untrusted folder must be: the entry's own type
/// (a symbolic link is never followed), and regular files opened with O_NOFOLLOW|O_NONBLOCK, so that a
/// link swapped in after the check fails to open instead of being followed, and a FIFO never blocks the
/// caller. On Linux through statx and open (libc); elsewhere through .NET's own file APIs, which see
/// links and directories but open a FIFO like a file.
/// </summary>
public static partial class ModelFileSystem
{
    private static bool _native = OperatingSystem.IsLinux();

    /// <summary>The entry's type and stamp, without following a symbolic link.</summary>
    /// <exception cref="ModelFileAccessException">The entry cannot be looked at (or is gone: <see cref="ModelFileAccessException.Changed"/>).</exception>
    public static ModelFileStatus Inspect(string path)
    {
        if (_native && TryStatx(-100 /* AT_FDCWD */, path, AtSymlinkNoFollow, out var info) is { } errno)
        {
            if (errno == 0)
            {
                return info;
            }
            throw Failure(path, "look at", errno);
        }
        var entry = new FileInfo(path);
        if (!entry.Exists && !System.IO.Directory.Exists(path) && entry.LinkTarget is null)
        {
            throw new ModelFileAccessException($"{path} is gone", transient: false, changed: true);
        }
        var kind = entry.LinkTarget is not null ? ModelFileKind.SymbolicLink
            : entry.Attributes.HasFlag(FileAttributes.Directory) ? ModelFileKind.Directory
            : ModelFileKind.Regular;
        return new ModelFileStatus(kind, kind == ModelFileKind.Regular ? ModelFileStamp.Of(entry) : default);
    }

    /// <summary>
    /// Reads a regular file whole, if it is still the version <paramref name="expected"/> describes: opened
    /// without following links and without blocking, checked to be a regular file of the expected size
    /// (and inode), never more than that size read. Null when the file changed since it was looked at.
    /// </summary>
    /// <exception cref="ModelFileAccessException">It cannot be opened or read.</exception>
    public static byte[]? ReadIfUnchanged(string path, ModelFileStamp expected)
    {
        using var handle = Open(path);
        if (_native && TryStatx(handle, out var opened) is 0)
        {
            if (opened.Kind != ModelFileKind.Regular || opened.Stamp.Inode != expected.Inode || opened.Stamp.Length != expected.Length)
            {
                return null; // replaced between the look and the open
            }
        }
        else if (RandomAccess.GetLength(handle) != expected.Length)
        {
            return null;
        }
        var bytes = new byte[expected.Length];
        var read = 0;
        try
        {
            while (read < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0)
                {
                    return null; // truncated while we read
                }
                read += n;
            }
            // Grown while we read: not the version that was looked at.
            return RandomAccess.Read(handle, stackalloc byte[1], read) == 0 ? bytes : null;
        }
        catch (IOException e)
        {
            throw new ModelFileAccessException($"Cannot read {path}: {e.Message}", transient: true, changed: false);
        }
    }

    private static SafeFileHandle Open(string path)
    {
        if (!_native)
        {
            try
            {
                return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException e)
            {
                throw new ModelFileAccessException(e.Message, transient: false, changed: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ModelFileAccessException(e.Message, transient: e is IOException, changed: false);
            }
        }
        var noFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
        const int readOnly = 0, nonBlocking = 0x800, closeOnExec = 0x80000;
        var fd = OpenNative(path, readOnly | nonBlocking | closeOnExec | noFollow);
        if (fd < 0)
        {
            throw Failure(path, "open", Marshal.GetLastPInvokeError());
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ELOOP = 40, EPERM = 1;

    private static ModelFileAccessException Failure(string path, string action, int errno) => errno switch
    {
        ENOENT or ENOTDIR => new ModelFileAccessException($"{path} is gone", transient: false, changed: true),
        ELOOP => new ModelFileAccessException($"{path} became a symbolic link", transient: false, changed: true),
        EACCES or EPERM => new ModelFileAccessException($"cannot {action} the file: {Marshal.GetPInvokeErrorMessage(errno)}", transient: false, changed: false),
        _ => new ModelFileAccessException($"cannot {action} the file: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", transient: true, changed: false),
    };

    private const int AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>statx on a path; null when statx is not available here (then the managed path is used from now on).</summary>
    private static int? TryStatx(int directoryFd, string path, int flags, out ModelFileStatus status)
    {
        status = default;
        try
        {
            if (Statx(directoryFd, path, flags, StatxBasicStats, out var buffer) != 0)
            {
                return Marshal.GetLastPInvokeError();
            }
            status = buffer.ToStatus();
            return 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _native = false; // a libc without statx (musl before 1.2.5): .NET's own APIs from now on
            return null;
        }
    }

    private static int? TryStatx(SafeFileHandle handle, out ModelFileStatus status)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return TryStatx((int)handle.DangerousGetHandle(), "", AtEmptyPath, out status);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    /// <summary>Linux's struct statx: the same layout on every architecture (linux/stat.h).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long ChangeSeconds;
        [FieldOffset(104)] public uint ChangeNanoseconds;
        [FieldOffset(112)] public long WriteSeconds;
        [FieldOffset(120)] public uint WriteNanoseconds;

        public readonly ModelFileStatus ToStatus()
        {
            var kind = (Mode & 0xF000) switch
            {
                0x8000 => ModelFileKind.Regular,
                0xA000 => ModelFileKind.SymbolicLink,
                0x4000 => ModelFileKind.Directory,
                0x1000 => ModelFileKind.Fifo,
                0xC000 => ModelFileKind.Socket,
                0x2000 => ModelFileKind.CharacterDevice,
                0x6000 => ModelFileKind.BlockDevice,
                _ => ModelFileKind.Unknown,
            };
            return new ModelFileStatus(kind, new ModelFileStamp((long)Size, Time(WriteSeconds, WriteNanoseconds), Inode, Time(ChangeSeconds, ChangeNanoseconds)));
        }

        private static DateTime Time(long seconds, uint nanoseconds) =>
            DateTime.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond + nanoseconds / 100);
    }
}
