using System.Globalization;

namespace MnistService.Api.Clients;

/// <summary>
/// The process's file-descriptor limit (RLIMIT_NOFILE, what <c>ulimit -n</c> sets) and how many are open,
/// read from /proc on Linux; unknown elsewhere. Every connection holds one descriptor until it closes.
/// </summary>
/// <remarks>
/// Why the limit matters beyond refusing connections: the runtime needs a free descriptor to start a
/// thread. With every descriptor held by idle connections, the thread pool's next new worker thread
/// fails to start, the OutOfMemoryException it raises is unhandled on a pool thread, and the process
/// aborts ("Out of memory.", exit code 134). Kestrel's accept loop, retrying EMFILE without a pause, is
/// what keeps the pool busy enough to want that thread.
/// </remarks>
public static class DescriptorLimit
{
    /// <summary>
    /// Descriptors kept free for everything but connections: assemblies loaded later (each holds one or
    /// two; measured, about 90 more are open after the first requests of every kind than when the port is
    /// bound), model files being read, directory listings, threads being started, /proc reads by the runtime.
    /// </summary>
    public const int Reserve = 256;

    /// <summary>The soft limit (the one that applies), or null when it is unlimited or cannot be read.</summary>
    public static long? Current() => Read("/proc/self/limits");

    /// <summary>Descriptors open now, or null when that cannot be read.</summary>
    public static int? OpenNow()
    {
        try
        {
            return Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the process cannot open a descriptor now (EMFILE, or ENFILE for the whole system): opening /dev/null
    /// fails for want of one. False where there is no /dev/null.
    /// </summary>
    public static bool Exhausted()
    {
        try
        {
            using var probe = File.OpenHandle("/dev/null");
            return false;
        }
        catch (IOException e) when (e.HResult is TooManyOpenFiles or TooManyOpenFilesInSystem)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Linux's errno values, which .NET gives as the HResult of the IOException of a failed open.
    private const int TooManyOpenFiles = 24;
    private const int TooManyOpenFilesInSystem = 23;

    /// <summary>The "Max open files" soft limit from a /proc/PID/limits file.</summary>
    internal static long? Read(string limitsFile)
    {
        try
        {
            if (!File.Exists(limitsFile))
            {
                return null;
            }
            foreach (var line in File.ReadLines(limitsFile))
            {
                // "Max open files            1024                 1048576              files"
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                    return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : null;
                }
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
