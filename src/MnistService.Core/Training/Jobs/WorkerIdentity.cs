using System.Diagnostics;
using System.Globalization;

namespace MnistService.Core.Training.Jobs;

/// <summary>
/// Who runs a job: "host/pid/start" with the process start in UTC ticks. The start time tells a
/// restarted worker from its dead predecessor even when both are PID 1 of the same container.
/// </summary>
public sealed record WorkerIdentity(string Host, int ProcessId, long StartTicks)
{
    public static WorkerIdentity Current { get; } = OfProcess(Environment.MachineName, Process.GetCurrentProcess());

    public override string ToString() => $"{Host}/{ProcessId}/{StartTicks.ToString(CultureInfo.InvariantCulture)}";

    public static WorkerIdentity? TryParse(string? text)
    {
        var parts = text?.Split('/');
        if (parts is not { Length: 3 }
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        return new(parts[0], pid, start);
    }

    /// <summary>
    /// True when this identity is a process of this host that no longer runs. Only answerable for the
    /// same host; for another host, staleness of the status heartbeat decides (see <see cref="JobQueue"/>).
    /// </summary>
    public bool IsDeadProcessOnThisHost()
    {
        if (Host != Current.Host)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(ProcessId);
            // A second of slack: the start time is derived from /proc with clock-tick resolution.
            return Math.Abs(OfProcess(Host, process).StartTicks - StartTicks) > TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return true; // exited while we looked
        }
    }

    private static WorkerIdentity OfProcess(string host, Process process) =>
        new(host, process.Id, process.StartTime.ToUniversalTime().Ticks);
}
