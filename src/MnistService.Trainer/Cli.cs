using System.CommandLine;
using MnistService.Trainer.Commands;
using Spectre.Console;

namespace MnistService.Trainer;

/// <summary>mnist-train's commands; tests run it in-process with their own console and error writer.</summary>
public static class Cli
{
    public static RootCommand Build(IAnsiConsole console, TextWriter error) =>
        new("mnist-train: trains the tutorial's MNIST network (784-256-128-10) with our own code and writes ONNX models")
        {
            TrainCommand.Create(console, error),
            EvaluateCommand.Create(console, error),
            InspectCommand.Create(console, error),
            FeedbackCommand.Create(console, error),
            PromoteCommand.Create(console, error),
            Worker.WorkerCommand.Create(),
        };

    public static Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        Build(console, error).Parse(args).InvokeAsync(new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // Ctrl+C / SIGTERM cancel the command's token; give a worker time to hand its job back
            // (and train time to reach the next batch) before the process is ended regardless.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
        }, cancellationToken);
}
