using MnistService.Core.Imaging;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

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
        Assert.Equal(5400, model.Report.Dataset.Train); // the default recipe validates on a tenth
        Assert.Equal(600, model.Report.Dataset.Validation);
        Assert.Equal(2, model.Report.History.Count);
        Assert.InRange(model.Report.Test.Accuracy, 0.85, 1.0);
        Assert.Equal(10_000, model.Report.Test.Confusion.Sum(row => row.Sum()));
    }

    [Fact]
    public async Task The_defaults_are_the_tutorials_model_trained_by_the_distorted_recipe()
    {
        var run = await CliRunner.RunAsync("train", "--help");
        Assert.Equal(0, run.ExitCode);
        foreach (var option in new[] { "--out", "--data", "--hidden", "--activation", "--dropout", "--optimizer", "--learning-rate", "--batch-size", "--epochs", "--patience", "--validation-split", "--loss", "--seed", "--threads",
                     "--recipe", "--augment", "--rotation", "--scale", "--shear", "--shift", "--elastic-sigma", "--elastic-alpha", "--lr-schedule", "--warmup", "--label-smoothing" })
        {
            Assert.Contains(option, run.Output);
        }

        Assert.Contains("[default: 0.3]", run.Output);
        Assert.Contains("[default: adam]", run.Output);
        Assert.Contains("[default: 128]", run.Output);
        Assert.Contains("[default: relu]", run.Output);
        Assert.Contains("[default: crossentropy]", run.Output);
        Assert.Contains("[default: distorted]", run.Output);
        Assert.Contains("[default: affine]", run.Output);
        Assert.Contains("[default: onecycle]", run.Output);
        Assert.Contains("--thickness", run.Output);
    }

    [Fact]
    public async Task The_tutorial_recipe_from_the_command_line_trains_the_weights_it_trained_before_recipes_existed()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("tutorial-").FullName, "tutorial.onnx");

        var run = await CliRunner.RunAsync("train", "--out", output, "--recipe", "tutorial",
            "--epochs", $"{TutorialWeights.Epochs}", "--train-limit", $"{TutorialWeights.TrainImages}");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Recipe: tutorial; no distortions, constant learning rate 0.001, no label smoothing", run.Output);
        var model = OnnxModelReader.Read(output);
        Assert.Equal(TutorialWeights.Expected, TutorialWeights.Hash(Core.Network.Mlp.FromParameters(model.Layers)));
        var settings = model.Report.Hyperparameters;
        Assert.Equal((RecipeKind.Tutorial, AugmentKind.None, LearningRateScheduleKind.Constant, 0.0, 0.001),
            (settings.Recipe, settings.Augment, settings.LrSchedule, settings.LabelSmoothing, settings.LearningRate));
    }

    [Fact]
    public async Task Options_beside_a_recipe_replace_its_values_and_the_report_records_them()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("recipe-").FullName, "elastic.onnx");

        var run = await CliRunner.RunAsync("train", "--out", output, "--recipe", "tutorial", "--augment", "elastic", "--lr-schedule", "cosine",
            "--warmup", "0.1", "--label-smoothing", "0.05", "--thickness", "0.3", "--epochs", "2", "--train-limit", "2000", "--hidden", "32");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Recipe: tutorial; elastic distortions (±10°, scale 0.92-1.08, shear ±6°, shift ±2 px, strokes ±0.3 px, field σ 4 α 34), " +
                        "cosine learning rate peaking at 0.001 (warm-up 10 % of the steps), label smoothing 0.05", run.Output);
        var settings = OnnxModelReader.Read(output).Report.Hyperparameters;
        Assert.Equal((RecipeKind.Tutorial, AugmentKind.Elastic, LearningRateScheduleKind.Cosine, 0.1, 0.05, 10.0, 2),
            (settings.Recipe, settings.Augment, settings.LrSchedule, settings.Warmup, settings.LabelSmoothing, settings.Rotation, settings.Epochs));
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
    [InlineData("--rotation", "90", "--rotation must be 0-45 degrees, got 90.")]
    [InlineData("--thickness", "2", "--thickness must be 0-1 pixels, got 2.")]
    [InlineData("--warmup", "1", "--warmup must be at least 0 and below 1")]
    [InlineData("--label-smoothing", "-0.1", "--label-smoothing must be at least 0 and below 1, got -0.1.")]
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
    [InlineData("--recipe", "best")]
    [InlineData("--augment", "perspective")]
    [InlineData("--lr-schedule", "step")]
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

        var run = await CliRunner.RunAsync("train", "--out", output, "--recipe", "tutorial", "--optimizer", "sgd", "--learning-rate", "1000",
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
