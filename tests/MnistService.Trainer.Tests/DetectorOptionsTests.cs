using MnistService.Core.Onnx;

namespace MnistService.Trainer.Tests;

/// <summary><c>mnist-train train</c> trains the digit detector by default; its options, <c>--no-detector</c>, and what inspect shows of it.</summary>
public class DetectorOptionsTests
{
    [Fact]
    public async Task The_detector_is_trained_by_default_and_inspect_shows_its_figures()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("detector-").FullName, "d.onnx");
        var run = await CliRunner.RunAsync("train", "--out", output, "--epochs", "1", "--train-limit", "2000", "--hidden", "32",
            "--detector-hidden", "24", "--detector-epochs", "2", "--detector-members", "2");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"Detector epoch 2 - [\d.]+s - loss: [\d.]+ - val_digit_score: [\d.]+", run.Output);
        var model = OnnxModelReader.Read(output);
        Assert.NotNull(model.Detector);
        var detector = model.Report.Detector!;
        Assert.Equal("discriminator", detector.Method);
        Assert.Equal([24], detector.Hidden);
        Assert.Equal(2, detector.Members);
        Assert.Equal(4, detector.History.Count); // the two discriminators' epochs, one after the other
        Assert.InRange(detector.TestRejected, 0, 0.2);

        var inspect = await CliRunner.RunAsync("inspect", output);
        Assert.Contains("Digit detector: discriminator 2 × (dense_1 → 24 → 1), averaged", inspect.Output);
        Assert.Contains("Test digits rejected as not a digit:", inspect.Output);
    }

    [Fact]
    public async Task No_detector_writes_a_model_without_one()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("no-detector-").FullName, "n.onnx");
        var run = await CliRunner.RunAsync("train", "--out", output, "--epochs", "1", "--train-limit", "1000", "--hidden", "16", "--no-detector");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Digit detector: none", run.Output);
        var model = OnnxModelReader.Read(output);
        Assert.Null(model.Detector);
        Assert.Null(model.Report.Detector);
    }

    [Theory]
    [InlineData("--detector-epochs", "0", "--detector-epochs must be 1-1000, got 0.")]
    [InlineData("--detector-hidden", "0", "--detector-hidden takes positive layer widths")]
    [InlineData("--detector-members", "9", "--detector-members must be 1-8, got 9.")]
    public async Task Detector_settings_out_of_range_are_usage_errors(string option, string value, string message)
    {
        var run = await CliRunner.RunAsync("train", "--out", "x.onnx", option, value);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.Error);
    }
}
