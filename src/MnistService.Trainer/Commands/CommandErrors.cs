using MnistService.Core.Data;
using MnistService.Core.Feedback;
using MnistService.Core.Training;
using Spectre.Console;

namespace MnistService.Trainer.Commands;

/// <summary>Exit codes and the one place where expected failures become a message instead of a stack trace.</summary>
public static class CommandErrors
{
    public const int Ok = 0;
    /// <summary>The command could not do its job (missing data, unreadable model, I/O, a diverged training).</summary>
    public const int Failed = 1;
    /// <summary>An option or argument is invalid.</summary>
    public const int Usage = 2;
    /// <summary>Stopped by Ctrl+C or SIGTERM.</summary>
    public const int Cancelled = 130;

    public static async Task<int> RunAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (TrainingSettingsException e)
        {
            foreach (var setting in e.Errors)
            {
                await error.WriteLineAsync($"error: {setting.Describe(s => s.CliOption)}");
            }
            return Usage;
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return Usage;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("Stopped: cancelled before the end; no model was written.");
            return Cancelled;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException
                                      or MnistDownloadException or TrainingDivergedException or FeedbackStoreUnavailableException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return Failed;
        }
    }

    public static void Rule(this IAnsiConsole console, string title) => console.Write(new Rule($"[bold]{title}[/]").LeftJustified());
}
