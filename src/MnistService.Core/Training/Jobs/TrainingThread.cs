using System.Runtime.InteropServices;

namespace MnistService.Core.Training.Jobs;

/// <summary>
/// Runs a training on a thread of its own, at the lowest CPU priority when asked (Linux: nice 19 for that
/// thread alone), so that a service training in-process answers its requests first: a request thread that
/// becomes runnable takes the core from the training at once instead of waiting for its time slice.
/// Parallel matrix products with more than one thread also use thread-pool threads, which keep their priority.
/// </summary>
public static partial class TrainingThread
{
    private const int PrioProcess = 0;
    private const int LowestPriority = 19;

    public static Task<T> Run<T>(Func<T> training, bool lowPriority, string name = "training")
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            if (lowPriority)
            {
                LowerPriority();
            }
            try
            {
                done.SetResult(training());
            }
            catch (OperationCanceledException e)
            {
                done.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Nice 19 for the calling thread (on Linux a thread id is a "process" for setpriority); elsewhere nothing.</summary>
    private static void LowerPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = SetPriority(PrioProcess, GetThreadId(), LowestPriority); // lowering one's own priority is always allowed
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // A C library without gettid (before glibc 2.30): the training runs at normal priority.
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
