using System.CommandLine;
using System.Globalization;
using MnistService.Core.Data;
using MnistService.Core.Feedback;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Trainer.Rendering;
using Spectre.Console;

namespace MnistService.Trainer.Commands;

/// <summary><c>mnist-train train --out models/NAME.onnx [options]</c>: the tutorial's training, as a command.</summary>
public static class TrainCommand
{
    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the ONNX model", Required = true, HelpName = "models/NAME.onnx" };
        var data = new Option<DirectoryInfo?>("--data") { Description = $"MNIST directory holding the four files (default: ${MnistLocator.EnvironmentVariable}, ../shared/mnist, or the user cache, downloading there)" };
        var trainLimit = new Option<int?>(TrainingSetting.TrainLimit.CliOption) { Description = "Use only the first N training images (quick runs)" };
        var settings = new TrainingSettingsBinder();

        var command = new Command("train", "Train the network on MNIST and write an ONNX model that carries its own evaluation");
        command.Add(output);
        command.Add(data);
        foreach (var option in settings.All)
        {
            command.Add(option);
        }

        command.Add(trainLimit);

        command.SetAction((parse, cancellation) => CommandErrors.RunAsync(error, async () =>
        {
            var options = settings.Bind(parse);
            // Every setting is checked before MNIST is loaded, so a typo costs no time.
            var errors = options.Validate().Concat(TrainingSettings.ValidateTrainLimit(parse.GetValue(trainLimit))).ToList();
            if (errors.Count > 0)
            {
                throw new TrainingSettingsException(errors);
            }
            if (options.ExtraData is { } extra)
            {
                // Read once before MNIST, so a wrong directory fails at once, not after the download or load.
                FeedbackImages.Read(extra);
            }
            var mnist = await Mnist.LoadAsync(parse.GetValue(data)?.FullName, message => console.MarkupLineInterpolated($"[grey]{message}[/]"),
                cancellationToken: cancellation);
            if (!mnist.IsOfficial)
            {
                console.MarkupLine("[yellow]Note: these files are not the official MNIST content; the report records their SHA-256.[/]");
            }

            console.Write(ModelViews.Summary(ArchitectureInfo.Of(new Mlp(options.ToSpec(), options.Seed))));
            console.Profile.Out.Writer.WriteLine(ModelViews.Recipe(options));
            var trained = ModelTraining.Run(mnist, options, parse.GetRequiredValue(output).FullName,
                new KerasProgress(console), parse.GetValue(trainLimit), cancellation);

            var t = trained.Training;
            console.WriteLine();
            console.MarkupLine(t.StoppedEarly
                ? $"Early stopping after epoch {t.History.Count}: restored the weights of epoch {t.BestEpoch} (best val_accuracy)."
                : $"Trained {ModelViews.Count(t.History.Count, "epoch")}; kept the weights of epoch {t.BestEpoch} (best val_accuracy).");
            console.MarkupLine($"[bold]Test accuracy: {ModelViews.Percent(trained.Test.Accuracy)}[/]  (loss {trained.Test.Loss.ToString("0.0000", CultureInfo.InvariantCulture)}, {trained.Test.Count:N0} images)");
            console.Write(ModelViews.Confusion(trained.Test.Confusion));
            foreach (var line in ModelViews.TopConfusions(trained.Test.Confusion))
            {
                console.MarkupLine($"  {line}");
            }

            foreach (var line in ModelViews.Detector(trained.Report.Detector))
            {
                console.MarkupLineInterpolated($"{line}");
            }

            console.MarkupLineInterpolated($"Wrote [bold]{trained.Path}[/] in {t.Seconds:0.0} s of training.");
            return CommandErrors.Ok;
        }));
        return command;
    }
}
