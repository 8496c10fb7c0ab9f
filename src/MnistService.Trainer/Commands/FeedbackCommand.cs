using System.CommandLine;
using MnistService.Core.Feedback;
using Spectre.Console;

namespace MnistService.Trainer.Commands;

/// <summary><c>mnist-train feedback export --out DIR</c>: people's answers as training data.</summary>
public static class FeedbackCommand
{
    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var database = new FeedbackDatabaseOptions();
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Where to write the IDX files", Required = true, HelpName = "DIR" };
        var heldOut = new Option<bool>("--held-out")
        {
            Description = "Write the held-out fifth instead (the answers the promotion gate judges models on, never trained on)",
        };
        var export = new Command("export",
            $"Write the labelled digits of people's answers as MNIST-style IDX files ({FeedbackImages.ImagesFile}, {FeedbackImages.LabelsFile}) " +
            "for mnist-train train --extra-data DIR. Four fifths of the answers; the fifth held out for the promotion gate is left out.")
        {
            output, heldOut,
        };
        foreach (var option in database.All)
        {
            export.Add(option);
        }
        export.SetAction((parse, cancellation) => CommandErrors.RunAsync(error, async () =>
        {
            await using var store = database.Open(parse);
            var records = await store.ReadAsync(parse.GetValue(heldOut), cancellation);
            var digits = FeedbackImages.ToDigits(records, out var skipped);
            if (digits.Count == 0)
            {
                await error.WriteLineAsync($"error: the {store.Kind} database {store.Describe()} has no {(parse.GetValue(heldOut) ? "held-out " : "")}labelled digits to export " +
                                           $"({records.Count} answers{(skipped > 0 ? $", {skipped} of them numbers not split digit by digit" : "")}).");
                return CommandErrors.Failed;
            }
            var directory = parse.GetRequiredValue(output).FullName;
            FeedbackImages.Write(directory, digits);
            var corrections = records.Count(r => !r.Correct);
            console.MarkupLineInterpolated(
                $"Wrote [bold]{digits.Count:N0}[/] labelled digits from {records.Count:N0} answers ({corrections:N0} corrections, {records.Count - corrections:N0} confirmations) to {directory}.");
            if (skipped > 0)
            {
                console.MarkupLineInterpolated($"[yellow]Left out {skipped:N0} numbers whose reading had another count of digits than the answer.[/]");
            }
            return CommandErrors.Ok;
        }));
        return new Command("feedback", "People's answers to the service's readings, stored in its feedback database") { export };
    }
}
