using System.Runtime.InteropServices;

namespace MnistService.Testing;

/// <summary>Another process's descriptor limit and descriptors, as <c>prlimit --nofile</c> and <c>ls /proc/PID/fd</c> see them (Linux).</summary>
public static partial class ProcessLimits
{
    private const int RlimitNoFile = 7;

    /// <summary>The descriptors <paramref name="pid"/> has open now.</summary>
    public static int OpenDescriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>Sets the soft limit on open descriptors of <paramref name="pid"/> (the hard limit stays); returns the soft limit it had.</summary>
    public static ulong SetOpenFileLimit(int pid, ulong soft)
    {
        if (PrLimit(pid, RlimitNoFile, IntPtr.Zero, out var old) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        var limit = new RLimit { Current = soft, Maximum = old.Maximum };
        if (PrLimit(pid, RlimitNoFile, ref limit, IntPtr.Zero) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}, {soft}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return old.Current;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static partial int PrLimit(int pid, int resource, IntPtr newLimit, out RLimit oldLimit);

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static partial int PrLimit(int pid, int resource, ref RLimit newLimit, IntPtr oldLimit);
}
