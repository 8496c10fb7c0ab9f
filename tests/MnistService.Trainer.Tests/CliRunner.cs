using MnistService.Trainer;
using Spectre.Console;

namespace MnistService.Trainer.Tests;

/// <summary>Runs mnist-train in-process, capturing what a user would see on stdout and stderr.</summary>
internal static class CliRunner
{
    public sealed record Outcome(int ExitCode, string Output, string Error);

    public static Task<Outcome> RunAsync(params string[] args) => RunAtWidthAsync(160, args);

    /// <summary>As in a terminal <paramref name="width"/> columns wide.</summary>
    public static async Task<Outcome> RunAtWidthAsync(int width, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        var code = await Cli.RunAsync(args, console, output, error);
        return new Outcome(code, output.ToString(), error.ToString());
    }
}
