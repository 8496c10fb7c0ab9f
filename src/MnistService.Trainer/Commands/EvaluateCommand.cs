using System.CommandLine;
using System.Text.Json;
using MnistService.Core.Data;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Trainer.Rendering;
using Spectre.Console;

namespace MnistService.Trainer.Commands;

/// <summary><c>mnist-train evaluate MODEL [--json]</c>: the model's accuracy on the MNIST test set, measured now.</summary>
public static class EvaluateCommand
{
    /// <summary>The machine-readable report of <c>--json</c>, camelCase as every report this project prints.</summary>
    public sealed record EvaluationReport(string Model, string Sha256, double Accuracy, double Loss, int Count,
        int[][] Confusion, IReadOnlyList<ClassMetrics> PerClass, double? ReportedAccuracy, DetectorEvaluation? Detector);

    /// <summary>The detector measured now: the fraction of test digits it rejects at the model's threshold.</summary>
    public sealed record DetectorEvaluation(double Threshold, double TestRejected, double ReportedTestRejected);

    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "An ONNX model written by mnist-train" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "MNIST directory (default: as for train)" };
        var json = new Option<bool>("--json") { Description = "Print a JSON report instead of tables" };
        var command = new Command("evaluate", "Measure a model on the MNIST test set: accuracy, per-digit precision/recall/F1, confusion matrix")
        {
            model, data, json,
        };
        command.SetAction((parse, cancellation) => CommandErrors.RunAsync(error, async () =>
        {
            var file = OnnxModelReader.Read(parse.GetRequiredValue(model).FullName);
            var network = Network(file, parse.GetRequiredValue(model).Name);
            var asJson = parse.GetValue(json);
            var mnist = await Mnist.LoadAsync(parse.GetValue(data)?.FullName, asJson ? null : m => console.MarkupLineInterpolated($"[grey]{m}[/]"),
                cancellationToken: cancellation);
            var result = Evaluator.Evaluate(network, mnist.Test.Images, mnist.Test.Labels);
            var detector = file.Detector is { } layers && file.Report.Detector is { } calibration
                ? new DetectorEvaluation(calibration.Threshold, RejectedFraction(DetectorNetwork.FromParameters(layers), mnist.Test.Images, calibration.Threshold), calibration.TestRejected)
                : null;

            if (asJson)
            {
                var report = new EvaluationReport(parse.GetRequiredValue(model).Name, file.Sha256, result.Accuracy, result.Loss, result.Count,
                    result.Confusion, result.Classes, file.Report.Test.Accuracy, detector);
                console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(report, ModelReport.PrintedJsonOptions));
                return CommandErrors.Ok;
            }
            console.MarkupLine($"[bold]Test accuracy: {ModelViews.Percent(result.Accuracy)}[/] on {result.Count:N0} images (the model's report says {ModelViews.Percent(file.Report.Test.Accuracy)})");
            foreach (var line in ModelViews.Detector(file.Report.Detector, detector?.TestRejected))
            {
                console.MarkupLineInterpolated($"{line}");
            }
            console.Write(ModelViews.ClassMetrics(result.Classes));
            console.Write(ModelViews.Confusion(result.Confusion));
            foreach (var line in ModelViews.TopConfusions(result.Confusion))
            {
                console.MarkupLine($"  {line}");
            }

            return CommandErrors.Ok;
        }));
        return command;
    }

    private static double RejectedFraction(DetectorNetwork detector, float[] images, double threshold)
    {
        var count = images.Length / Core.Training.Trainer.ImagePixels;
        var scores = new float[count];
        detector.Score(images, count, scores);
        return (double)scores.Count(s => s < threshold) / count;
    }

    /// <summary>
    /// The network the file describes. A valid ONNX file can still hold layers our MLP does not run (hidden
    /// layers with different activations, say): that is a problem with the file (exit 1), not with the options.
    /// </summary>
    private static Mlp Network(OnnxModelFile file, string name)
    {
        try
        {
            return Mlp.FromParameters(file.Layers);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{name} cannot be evaluated here: {e.Message}", e);
        }
    }
}
