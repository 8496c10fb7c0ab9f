using MnistService.Core.Onnx;

namespace MnistService.Trainer.Tests;

public class TrainCommandTests
{
    [Fact]
    public async Task Trains_prints_the_summary_progress_and_evaluation_and_writes_a_model()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("train-").FullName, "nested", "quick.onnx");

        var run = await CliRunner.RunAsync("train", "--out", output, "--epochs", "2", "--train-limit", "6000", "--seed", "3", "--hidden", "64,32", "--dropout", "0");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("dense_1 (Dense)", run.Output);
        Assert.Contains("52,650", run.Output); // 784*64+64 + 64*32+32 + 32*10+10
        Assert.Contains("Epoch 2/2", run.Output);
        Assert.Matches(@"\d+/\d+ \[=+\] - [\d.]+s - loss: [\d.]+ - accuracy: [\d.]+ - val_loss: [\d.]+ - val_accuracy: [\d.]+", run.Output);
        Assert.Contains("Test accuracy:", run.Output);
        Assert.Contains("Confusion matrix", run.Output);

        var model = OnnxModelReader.Read(output);
        Assert.Equal([64, 32], model.Report.Hyperparameters.Hidden);
        Assert.Equal(3, model.Report.Hyperparameters.Seed);
        Assert.Equal(4800, model.Report.Dataset.Train);
        Assert.Equal(1200, model.Report.Dataset.Validation);
        Assert.Equal(2, model.Report.History.Count);
        Assert.InRange(model.Report.Test.Accuracy, 0.85, 1.0);
        Assert.Equal(10_000, model.Report.Test.Confusion.Sum(row => row.Sum()));
    }

    [Fact]
    public async Task The_defaults_are_the_tutorials_model()
    {
        var run = await CliRunner.RunAsync("train", "--help");
        Assert.Equal(0, run.ExitCode);
        foreach (var option in new[] { "--out", "--data", "--hidden", "--activation", "--dropout", "--optimizer", "--learning-rate", "--batch-size", "--epochs", "--patience", "--validation-split", "--loss", "--seed", "--threads" })
        {
            Assert.Contains(option, run.Output);
        }

        Assert.Contains("[default: 0.3]", run.Output);
        Assert.Contains("[default: adam]", run.Output);
        Assert.Contains("[default: 128]", run.Output);
        Assert.Contains("[default: relu]", run.Output);
        Assert.Contains("[default: crossentropy]", run.Output);
    }

    [Fact]
    public async Task The_hidden_default_reads_as_it_is_typed()
    {
        var run = await CliRunner.RunAsync("train", "--help");
        Assert.Contains("[default: 256,128]", run.Output);
        Assert.DoesNotContain("256|128", run.Output);
    }

    [Fact]
    public async Task One_epoch_is_reported_in_the_singular()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("one-epoch-").FullName, "m.onnx");

        var run = await CliRunner.RunAsync("train", "--out", output, "--epochs", "1", "--train-limit", "600", "--hidden", "16", "--dropout", "0");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Trained 1 epoch; kept the weights of epoch 1", run.Output);
        Assert.DoesNotContain("1 epochs", run.Output);
    }

    [Fact]
    public async Task An_explicit_data_directory_without_mnist_is_an_error_naming_the_files_not_a_download_into_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"wrong-{Guid.NewGuid():N}", "path");
        var output = Path.Combine(Path.GetTempPath(), $"never-{Guid.NewGuid():N}.onnx");

        var run = await CliRunner.RunAsync("train", "--out", output, "--data", missing);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: MNIST is not in " + missing, run.Error);
        foreach (var name in Core.Data.MnistFiles.All)
        {
            Assert.Contains(name, run.Error);
        }

        Assert.False(Directory.Exists(missing), "the --data folder was created");
        Assert.DoesNotContain("Downloading", run.Output);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("--batch-size", "0", "--batch-size must be 1-60000, got 0.")]
    [InlineData("--epochs", "1001", "--epochs must be 1-1000, got 1001.")]
    [InlineData("--hidden", "5000", "--hidden widths must be 1-4096, got 5000.")]
    [InlineData("--threads", "2000", "--threads must be 0 (every core) to 1024")]
    [InlineData("--train-limit", "1", "--train-limit must be 2-60000")]
    [InlineData("--dropout", "1.5", "dropout")]
    [InlineData("--learning-rate", "-1", "--learning-rate must be a positive number")]
    [InlineData("--validation-split", "0", "--validation-split")]
    [InlineData("--momentum", "0.9", "--momentum applies only to the sgd optimizer, not adam.")]
    public async Task Out_of_range_settings_are_refused_with_a_message_naming_the_option(string option, string value, string message)
    {
        var output = Path.Combine(Path.GetTempPath(), $"never-{Guid.NewGuid():N}.onnx");
        var run = await CliRunner.RunAsync("train", "--out", output, option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("--optimizer", "adagrad")]
    [InlineData("--activation", "gelu")]
    [InlineData("--loss", "hinge")]
    [InlineData("--hidden", "256,x")]
    [InlineData("--epochs", "many")]
    public async Task Unknown_values_are_parse_errors(string option, string value)
    {
        var run = await CliRunner.RunAsync("train", "--out", "x.onnx", option, value);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(value.Split(',')[^1], run.Error);
    }

    [Fact]
    public async Task The_output_is_required()
    {
        var run = await CliRunner.RunAsync("train");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--out", run.Error);
    }

    [Fact]
    public async Task A_diverging_training_stops_with_a_message_and_exit_code_1_and_writes_no_model()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("diverge-").FullName, "m.onnx");

        var run = await CliRunner.RunAsync("train", "--out", output, "--optimizer", "sgd", "--learning-rate", "1000",
            "--train-limit", "1200", "--epochs", "3", "--dropout", "0");

        Assert.Equal(1, run.ExitCode); // the run failed; the options themselves were valid (2 is for those)
        Assert.Equal("error: Training diverged in epoch 1: the training loss is NaN. A smaller learning rate usually helps.", run.Error.Trim());
        Assert.DoesNotContain("Epoch 2/3", run.Output);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_broken_data_directory_gives_a_message_not_a_stack_trace()
    {
        var dir = Directory.CreateTempSubdirectory("broken-mnist-").FullName;
        foreach (var name in Core.Data.MnistFiles.All)
        {
            File.WriteAllBytes(Path.Combine(dir, name), [0, 0, 8, 1, 0, 0, 0, 9, 1]);
        }

        var run = await CliRunner.RunAsync("train", "--out", Path.Combine(dir, "m.onnx"), "--data", dir);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Error);
        Assert.Contains("truncated", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }
}
