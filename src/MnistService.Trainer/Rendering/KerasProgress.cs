using System.Diagnostics;
using System.Globalization;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using Spectre.Console;

namespace MnistService.Trainer.Rendering;

/// <summary>
/// Keras-style progress: "Epoch 3/50", a bar redrawn in place while the epoch runs (interactive
/// terminals only), then one line with the epoch's time and its four metrics.
/// </summary>
public sealed class KerasProgress(IAnsiConsole console) : ITrainingObserver
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private readonly bool _interactive = console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;
    private readonly Stopwatch _sinceRedraw = new();
    private int _batchCount;

    public void OnEpochStart(int epoch, int totalEpochs, int batchCount)
    {
        _batchCount = batchCount;
        console.MarkupLine($"[bold]Epoch {epoch}/{totalEpochs}[/]");
        _sinceRedraw.Restart();
    }

    public void OnBatchEnd(int epoch, int batchIndex, int batchCount, double runningLoss, double runningAccuracy)
    {
        if (!_interactive || (_sinceRedraw.Elapsed < RedrawInterval && batchIndex + 1 < batchCount))
        {
            return;
        }

        _sinceRedraw.Restart();
        var done = batchIndex + 1;
        console.Write(new Text($"\r{Bar(done, batchCount)} - loss: {F(runningLoss)} - accuracy: {F(runningAccuracy)}"));
    }

    public void OnEpochEnd(EpochRecord record)
    {
        var prefix = _interactive ? "\r" : "";
        // Written past Spectre's layout so the line is never wrapped at the console width.
        console.Profile.Out.Writer.WriteLine(
            $"{prefix}{Bar(_batchCount, _batchCount)} - {record.Seconds.ToString("0.0", CultureInfo.InvariantCulture)}s - loss: {F(record.Loss)} - accuracy: {F(record.Accuracy)}" +
            $" - val_loss: {F(record.ValLoss)} - val_accuracy: {F(record.ValAccuracy)}");
    }

    public void OnDetectorEpochEnd(DetectorEpoch record) =>
        console.Profile.Out.Writer.WriteLine(
            $"Detector epoch {record.Epoch} - {record.Seconds.ToString("0.0", CultureInfo.InvariantCulture)}s - loss: {F(record.Loss)} - val_digit_score: {F(record.ValScore)}");

    private static string Bar(int done, int total)
    {
        var filled = total == 0 ? BarWidth : done * BarWidth / total;
        var bar = filled >= BarWidth ? new string('=', BarWidth) : new string('=', filled) + ">" + new string('.', BarWidth - filled - 1);
        return $"{done.ToString().PadLeft(total.ToString().Length)}/{total} [{bar}]";
    }

    private static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
