using System.CommandLine;
using System.Globalization;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Trainer.Rendering;
using Spectre.Console;

namespace MnistService.Trainer.Commands;

/// <summary><c>mnist-train inspect MODEL [--json]</c>: what a model file says about itself, without the data set.</summary>
public static class InspectCommand
{
    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "An ONNX model written by mnist-train" };
        var json = new Option<bool>("--json") { Description = "Print the model's report only, as JSON (camelCase, as the service's /models/{name})" };
        var command = new Command("inspect", "Show a model's summary and the report it carries (history, test accuracy, confusion matrix)")
        {
            model, json,
        };
        command.SetAction((parse, _) => CommandErrors.RunAsync(error, () =>
        {
            var file = OnnxModelReader.Read(parse.GetRequiredValue(model).FullName);
            if (parse.GetValue(json))
            {
                console.Profile.Out.Writer.WriteLine(file.Report.ToPrintedJson());
                return Task.FromResult(CommandErrors.Ok);
            }
            var r = file.Report;
            var h = r.Hyperparameters;
            console.MarkupLineInterpolated($"[bold]{parse.GetRequiredValue(model).Name}[/]  {file.SizeBytes:N0} bytes");
            // Past Spectre's layout: a narrow console must not break the label or the hash, which is copied whole.
            console.Profile.Out.Writer.WriteLine($"SHA-256 {file.Sha256}");
            console.MarkupLineInterpolated($"ONNX IR {file.IrVersion}, opset {file.OpsetVersion}, written by {file.ProducerName} {file.ProducerVersion} on {r.Created:u}");
            console.Write(ModelViews.Summary(r.Architecture));
            var momentum = h.Momentum > 0 ? $" momentum {h.Momentum}" : "";
            console.MarkupLineInterpolated(
                $"Settings: {(h.Convolutions.Count > 0 ? $"convolutions {string.Join(',', h.Convolutions)}, " : "")}hidden {string.Join(',', h.Hidden)}, {ChoiceNames.Of(h.Activation)}, dropout {h.Dropout}, {ChoiceNames.Of(h.Optimizer)} lr {h.LearningRate}{momentum}, batch {h.BatchSize}, epochs {h.Epochs}, patience {h.Patience}, validation {h.ValidationSplit}, loss {ChoiceNames.Of(h.Loss)}, seed {h.Seed}");
            console.Profile.Out.Writer.WriteLine(ModelViews.Recipe(h));
            console.Write(History(r.History));
            console.MarkupLine($"[bold]Test accuracy: {ModelViews.Percent(r.Test.Accuracy)}[/] (loss {r.Test.Loss.ToString("0.0000", CultureInfo.InvariantCulture)})");
            console.Write(ModelViews.Confusion(r.Test.Confusion));
            foreach (var line in ModelViews.TopConfusions(r.Test.Confusion))
            {
                console.MarkupLine($"  {line}");
            }

            foreach (var line in ModelViews.Detector(r.Detector))
            {
                console.MarkupLineInterpolated($"{line}");
            }

            return Task.FromResult(CommandErrors.Ok);
        }));
        return command;
    }

    private static Table History(IReadOnlyList<EpochRecord> history)
    {
        var table = new Table().Border(TableBorder.Simple).Title("History");
        foreach (var name in new[] { "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds" })
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        foreach (var e in history)
        {
            table.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), F(e.Loss), F(e.Accuracy), F(e.ValLoss), F(e.ValAccuracy), e.Seconds.ToString("0.00", CultureInfo.InvariantCulture));
        }

        return table;
    }
}
