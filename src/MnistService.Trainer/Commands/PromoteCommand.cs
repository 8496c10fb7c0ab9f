using System.CommandLine;
using MnistService.Core.Feedback;
using MnistService.Core.Models;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using Spectre.Console;

namespace MnistService.Trainer.Commands;

/// <summary>
/// <c>mnist-train promote NAME</c>: makes a model the service's default (<see cref="DefaultModelChoice"/>), if the
/// <see cref="PromotionGate"/> lets it: no worse on MNIST, better on the held-out fifth of people's answers.
/// </summary>
public static class PromoteCommand
{
    /// <summary>The gate refused: the model stays as it was, the default too.</summary>
    public const int Refused = 3;

    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var database = new FeedbackDatabaseOptions();
        var name = new Argument<string>("NAME") { Description = "The model to make the default: models/NAME.onnx" };
        var current = new Option<string?>("--current")
        {
            Description = $"The default it replaces (default: the one {DefaultModelChoice.FileName} names, else {DefaultModelChoice.Shipped})",
            HelpName = "NAME",
        };
        var command = new Command("promote",
            "Make a model the service's default, if it is at most 0.1 points below the current default on the MNIST test set and better on the " +
            $"held-out fifth of people's answers. The comparison is recorded in the model's report; exit code {Refused} when refused.")
        {
            name, current,
        };
        foreach (var option in database.All)
        {
            command.Add(option);
        }
        command.SetAction((parse, cancellation) => CommandErrors.RunAsync(error, async () =>
        {
            var models = database.ModelsDirectory(parse);
            var candidateName = parse.GetRequiredValue(name);
            var currentName = parse.GetValue(current) ?? DefaultModelChoice.Read(models)?.Model ?? DefaultModelChoice.Shipped;
            if (candidateName == currentName)
            {
                console.MarkupLineInterpolated($"{candidateName} is already the default model.");
                return CommandErrors.Ok;
            }
            var candidatePath = ModelPath(models, candidateName);
            var currentPath = ModelPath(models, currentName);
            await using var store = database.Open(parse);
            var comparison = await PromotionGate.CompareAndRecordAsync(candidatePath, currentPath, store, DateTimeOffset.UtcNow, cancellation);
            if (!comparison.Promoted)
            {
                await error.WriteLineAsync(comparison.Reason);
                return Refused;
            }
            new DefaultModelChoice(candidateName, comparison.ComparedAt, $"mnist-train promote on {Environment.MachineName}").Write(models);
            console.MarkupLineInterpolated($"[bold]{candidateName}[/] is now the default model (was {currentName}). {comparison.Reason}");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static string ModelPath(string models, string name)
    {
        if (name.Length == 0 || name.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) >= 0 || name.StartsWith('.'))
        {
            throw new ArgumentException($"'{name}' is not a model name (the file name in the models directory, without .onnx).");
        }
        var path = Path.Combine(models, name + ".onnx");
        return File.Exists(path) ? path : throw new FileNotFoundException($"There is no model {name}: {path} does not exist.", path);
    }
}
