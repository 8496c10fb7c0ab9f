using System.Runtime.InteropServices;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>POSIX signals to one process, by id (what `kill -TERM PID` and `kill -KILL PID` do).</summary>
public static partial class Signals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
