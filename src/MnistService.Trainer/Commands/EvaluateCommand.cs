using System.CommandLine;
using System.Text.Json;
using MnistService.Core.Data;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Trainer.Rendering;
using Spectre.Console;

namespace MnistService.Trainer.Commands;

/// <summary>
/// <c>mnist-train evaluate MODEL [--json]</c>: the model's accuracy on the MNIST test set, measured now, and the
/// test images it misreads. Any ONNX file whose <c>probabilities</c> come from a dense network of the image is
/// measured, with or without our report (a model exported by another tool, say), and our convolutional networks.
/// </summary>
public static class EvaluateCommand
{
    /// <summary>The machine-readable report of <c>--json</c>, camelCase as every report this project prints.</summary>
    /// <param name="ReportedAccuracy">The accuracy the model's report states; null when it carries no report.</param>
    /// <param name="Misread">Every test image read wrongly: index, true digit, digit read, probabilities.</param>
    public sealed record EvaluationReport(string Model, string Sha256, double Accuracy, double Loss, int Count,
        int[][] Confusion, IReadOnlyList<ClassMetrics> PerClass, double? ReportedAccuracy, IReadOnlyList<MisreadDigit> Misread,
        DetectorEvaluation? Detector);

    /// <summary>The detector measured now: the fraction of test digits it rejects at the model's threshold.</summary>
    public sealed record DetectorEvaluation(double Threshold, double TestRejected, double ReportedTestRejected);

    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "An ONNX model: written by mnist-train, or any with input 'image' and output 'probabilities' from dense layers" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "MNIST directory (default: as for train)" };
        var json = new Option<bool>("--json") { Description = "Print a JSON report instead of tables" };
        var command = new Command("evaluate", "Measure a model on the MNIST test set: accuracy, per-digit precision/recall/F1, confusion matrix")
        {
            model, data, json,
        };
        command.SetAction((parse, cancellation) => CommandErrors.RunAsync(error, async () =>
        {
            var (file, network) = Read(parse.GetRequiredValue(model));
            var asJson = parse.GetValue(json);
            var mnist = await Mnist.LoadAsync(parse.GetValue(data)?.FullName, asJson ? null : m => console.MarkupLineInterpolated($"[grey]{m}[/]"),
                cancellationToken: cancellation);
            var result = Evaluator.Evaluate(network, mnist.Test.Images, mnist.Test.Labels);
            var detector = file.Report?.Detector is { } calibration
                ? MeasureDetector(parse.GetRequiredValue(model).FullName, calibration, mnist.Test.Images)
                : null;

            if (asJson)
            {
                var report = new EvaluationReport(parse.GetRequiredValue(model).Name, file.Sha256, result.Accuracy, result.Loss, result.Count,
                    result.Confusion, result.Classes, file.Report?.Test.Accuracy, result.Misread, detector);
                console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(report, ModelReport.PrintedJsonOptions));
                return CommandErrors.Ok;
            }
            var reported = file.Report is { } r ? $"the model's report says {ModelViews.Percent(r.Test.Accuracy)}" : "the model carries no report";
            console.MarkupLine($"[bold]Test accuracy: {ModelViews.Percent(result.Accuracy)}[/] on {result.Count:N0} images ({reported})");
            if (file.Report is not null)
            {
                foreach (var line in ModelViews.Detector(file.Report.Detector, detector?.TestRejected))
                {
                    console.MarkupLineInterpolated($"{line}");
                }
            }
            console.Write(ModelViews.ClassMetrics(result.Classes));
            console.Write(ModelViews.Confusion(result.Confusion));
            foreach (var line in ModelViews.TopConfusions(result.Confusion))
            {
                console.MarkupLine($"  {line}");
            }

            console.Write(ModelViews.MisreadIndices(result.Misread));
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>The detector of one of our model files (its report calibrated it), scored on the test digits now.</summary>
    private static DetectorEvaluation? MeasureDetector(string path, DetectorReport calibration, float[] images)
    {
        if (OnnxModelReader.Read(path).DigitDetector() is not { } detector)
        {
            return null;
        }
        var count = images.Length / Core.Training.Trainer.ImagePixels;
        var scores = new float[count];
        detector.Score(images, count, scores);
        var rejected = (double)scores.Count(s => s < calibration.Threshold) / count;
        return new DetectorEvaluation(calibration.Threshold, rejected, calibration.TestRejected);
    }

    /// <summary>
    /// The classifier and the network the file describes: a convolutional network of ours as our reader reads it back,
    /// any other file by the dense layers behind its output. A valid ONNX file can still hold layers our network does not
    /// run (hidden layers with different activations, say): that is a problem with the file (exit 1), not with the options.
    /// </summary>
    private static (OnnxClassifier File, Mlp Network) Read(FileInfo model)
    {
        var bytes = File.ReadAllBytes(model.FullName);
        if (OnnxModelReader.IsConvolutional(bytes, model.Name))
        {
            var ours = OnnxModelReader.Read(bytes, model.Name);
            return (new OnnxClassifier(ours.Layers, ours.Report, ours.Sha256), ours.Network());
        }
        var file = OnnxClassifierReader.Read(bytes, model.Name);
        try
        {
            return (file, Mlp.FromParameters(file.Layers));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{model.Name} cannot be evaluated here: {e.Message}", e);
        }
    }
}
