using System.Text.Json;
using MnistService.Core.Onnx;

namespace MnistService.Trainer.Tests;

public class ModelCommandsTests(TrainedModelFixture fixture) : IClassFixture<TrainedModelFixture>
{
    [Fact]
    public async Task Inspect_json_prints_exactly_what_the_trainer_measured()
    {
        var run = await CliRunner.RunAsync("inspect", fixture.Model.Path, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var printed = JsonSerializer.Deserialize<ModelReport>(run.Output, ModelReport.PrintedJsonOptions)!;
        var measured = fixture.Model;
        Assert.Equal(measured.Training.History, printed.History);
        Assert.Equal(measured.Test.Accuracy, printed.Test.Accuracy);
        Assert.Equal(measured.Test.Loss, printed.Test.Loss);
        Assert.Equal(measured.Test.Confusion, printed.Test.Confusion);
        Assert.Equal(TrainedModelFixture.Options with { Hidden = printed.Hyperparameters.Hidden, DetectorHidden = printed.Hyperparameters.DetectorHidden, Convolutions = printed.Hyperparameters.Convolutions }, printed.Hyperparameters);
        Assert.Equal(fixture.Data.Sha256, printed.Dataset.Sha256);
        Assert.Equal(235_146, printed.Architecture.Parameters);
    }

    [Fact]
    public async Task Inspect_json_is_the_services_camel_case_report_with_lowercase_choices()
    {
        var run = await CliRunner.RunAsync("inspect", fixture.Model.Path, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        var hyper = root.GetProperty("hyperparameters");
        Assert.Equal(0.001, hyper.GetProperty("learningRate").GetDouble());
        Assert.Equal(128, hyper.GetProperty("batchSize").GetInt32());
        Assert.Equal(("relu", "adam", "crossentropy"),
            (hyper.GetProperty("activation").GetString(), hyper.GetProperty("optimizer").GetString(), hyper.GetProperty("loss").GetString()));
        Assert.True(root.GetProperty("history")[0].TryGetProperty("valAccuracy", out _));
        Assert.DoesNotContain("learning_rate", run.Output);
        Assert.DoesNotContain("val_accuracy", run.Output);
    }

    [Fact]
    public async Task Inspect_in_a_narrow_terminal_keeps_the_sha256_label_and_hash_whole()
    {
        var run = await CliRunner.RunAtWidthAsync(40, "inspect", fixture.Model.Path);

        Assert.True(run.ExitCode == 0, run.Error);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(fixture.Model.Path)));
        Assert.Contains(run.Output.Split('\n'), line => line.TrimEnd() == $"SHA-256 {sha}");
    }

    [Fact]
    public async Task Inspect_shows_the_summary_history_and_confusion_matrix()
    {
        var run = await CliRunner.RunAsync("inspect", fixture.Model.Path);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("235,146", run.Output);
        Assert.Contains("val_accuracy", run.Output);
        Assert.Contains("Confusion matrix", run.Output);
        Assert.Contains(" read as ", run.Output);
    }

    [Fact]
    public async Task Inspect_shows_the_settings_including_sgd_momentum()
    {
        var path = Path.Combine(fixture.Directory, "sgd-momentum.onnx");
        var train = await CliRunner.RunAsync("train", "--out", path, "--optimizer", "sgd", "--learning-rate", "0.05", "--momentum", "0.9",
            "--hidden", "16", "--epochs", "1", "--train-limit", "600", "--dropout", "0");
        Assert.True(train.ExitCode == 0, train.Error);

        var run = await CliRunner.RunAsync("inspect", path);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Settings: hidden 16, relu, dropout 0, sgd lr 0.05 momentum 0.9, batch 128, epochs 1,", run.Output);
        var adam = await CliRunner.RunAsync("inspect", fixture.Model.Path);
        Assert.DoesNotContain("momentum", adam.Output);
    }

    [Fact]
    public async Task Evaluate_measures_the_same_accuracy_the_report_holds()
    {
        var run = await CliRunner.RunAsync("evaluate", fixture.Model.Path, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(fixture.Model.Test.Accuracy, root.GetProperty("accuracy").GetDouble());
        Assert.Equal(10_000, root.GetProperty("count").GetInt32());
        Assert.Equal(10, root.GetProperty("perClass").GetArrayLength());
        Assert.Equal(fixture.Model.Test.Accuracy, root.GetProperty("reportedAccuracy").GetDouble());
        Assert.DoesNotContain("per_class", run.Output);
        var first = root.GetProperty("perClass")[0];
        Assert.InRange(first.GetProperty("precision").GetDouble(), 0.5, 1.0);
        Assert.Equal(10_000, root.GetProperty("confusion").EnumerateArray().Sum(r => r.EnumerateArray().Sum(c => c.GetInt32())));
    }

    [Fact]
    public async Task A_convolutional_network_is_trained_inspected_and_evaluated_as_its_report_says()
    {
        var path = Path.Combine(fixture.Directory, "convolutional.onnx");
        var train = await CliRunner.RunAsync("train", "--convolutions", "4,8", "--hidden", "16", "--epochs", "1",
            "--detector-members", "1", "--detector-hidden", "8", "--detector-epochs", "2", "--train-limit", "3000", "--out", path);
        Assert.True(train.ExitCode == 0, train.Error);

        var inspect = await CliRunner.RunAsync("inspect", path);
        Assert.True(inspect.ExitCode == 0, inspect.Error);
        Assert.Contains("conv_2 (Conv2D)", inspect.Output);
        Assert.Contains("(None, 7, 7, 8)", inspect.Output);
        Assert.Contains("flatten (Flatten)", inspect.Output); // 7·7·8 values into dense_1
        Assert.Contains("(None, 392)", inspect.Output);
        Assert.Contains("Settings: convolutions 4,8, hidden 16,", inspect.Output);
        Assert.Contains("Digit detector: discriminator dense_1 → 8 → 1,", inspect.Output); // dense_1 after the convolutions

        var evaluate = await CliRunner.RunAsync("evaluate", path, "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        using var json = JsonDocument.Parse(evaluate.Output);
        Assert.Equal(OnnxModelReader.Read(path).Report.Test.Accuracy, json.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(json.RootElement.GetProperty("reportedAccuracy").GetDouble(), json.RootElement.GetProperty("accuracy").GetDouble());
        // The detector scores the test digits now as it did when the trainer wrote its report.
        var detector = json.RootElement.GetProperty("detector");
        Assert.Equal(detector.GetProperty("reportedTestRejected").GetDouble(), detector.GetProperty("testRejected").GetDouble());
    }

    [Fact]
    public async Task Evaluate_prints_per_digit_metrics()
    {
        var run = await CliRunner.RunAsync("evaluate", fixture.Model.Path);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("precision", run.Output);
        Assert.Contains("recall", run.Output);
        Assert.Contains("f1", run.Output);
        Assert.Contains("Test accuracy", run.Output);
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("evaluate")]
    public async Task A_file_that_is_not_a_model_gives_a_message(string command)
    {
        var path = Path.Combine(fixture.Directory, "not-a-model.onnx");
        File.WriteAllText(path, "this is text, not ONNX");
        var run = await CliRunner.RunAsync(command, path);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.Contains("not-a-model.onnx", run.Error); // the file, by its name
    }

    [Fact]
    public async Task Evaluating_a_model_whose_hidden_layers_mix_activations_is_a_file_error_not_a_usage_error()
    {
        var path = Path.Combine(fixture.Directory, "mixed-activations.onnx");
        var layers = fixture.Model.Training.Model.GetParameters().ToList();
        layers[1] = layers[1] with { Activation = "tanh" }; // the first hidden layer stays relu
        OnnxExporter.Write(path, layers, fixture.Model.Report with { Detector = null });

        var run = await CliRunner.RunAsync("evaluate", path);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: mixed-activations.onnx cannot be evaluated here: All hidden layers must share one activation", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task A_missing_model_gives_a_message()
    {
        var run = await CliRunner.RunAsync("inspect", Path.Combine(fixture.Directory, "missing.onnx"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("missing.onnx", run.Error);
    }

    [Fact]
    public async Task Evaluate_json_lists_every_misread_test_image_as_the_report_records_them()
    {
        var run = await CliRunner.RunAsync("evaluate", fixture.Model.Path, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        var misread = json.RootElement.GetProperty("misread").EnumerateArray()
            .Select(m => (m.GetProperty("index").GetInt32(), m.GetProperty("label").GetInt32(), m.GetProperty("digit").GetInt32())).ToList();
        var recorded = OnnxModelReader.Read(fixture.Model.Path).Report.Misread!;
        Assert.Equal(recorded.Select(m => (m.Index, m.Label, m.Digit)), misread);
        Assert.Equal(fixture.Model.Test.Confusion.Select((row, t) => row.Sum() - row[t]).Sum(), misread.Count);
        Assert.All(misread, m => Assert.Equal(fixture.Data.Test.Labels[m.Item1], m.Item2));
    }

    [Fact]
    public async Task Evaluate_prints_the_misread_test_images_by_kind_of_mistake()
    {
        var run = await CliRunner.RunAsync("evaluate", fixture.Model.Path);

        Assert.True(run.ExitCode == 0, run.Error);
        var misread = fixture.Model.Test.Misread;
        Assert.Contains($"Misread test images ({misread.Count:N0})", run.Output);
        var top = misread.GroupBy(m => (m.Label, m.Digit)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First();
        var row = Assert.Single(run.Output.Split('\n'), line => line.TrimStart().StartsWith($"{top.Key.Label} read as {top.Key.Digit} ", StringComparison.Ordinal));
        Assert.Contains(top.Count().ToString(), row);
        Assert.Contains(string.Join(", ", top.Take(3).Select(m => m.Index)), row);
    }

    [Fact]
    public async Task Evaluate_measures_a_model_that_carries_no_report()
    {
        var path = Path.Combine(fixture.Directory, "no-report.onnx");
        File.WriteAllBytes(path, ModelFiles.WithoutMetadata(File.ReadAllBytes(fixture.Model.Path)));
        Assert.Throws<FormatException>(() => OnnxModelReader.Read(path)); // not one of ours any more: no report

        var json = await CliRunner.RunAsync("evaluate", path, "--json");
        var text = await CliRunner.RunAsync("evaluate", path);

        Assert.True(json.ExitCode == 0, json.Error);
        using var report = JsonDocument.Parse(json.Output);
        Assert.Equal(fixture.Model.Test.Accuracy, report.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("reportedAccuracy").ValueKind);
        Assert.Equal(fixture.Model.Test.Misread.Count, report.RootElement.GetProperty("misread").GetArrayLength());
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("the model carries no report", text.Output);
    }
}
