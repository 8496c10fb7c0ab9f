using System.Text.Json;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Testing;

namespace MnistService.Core.Tests.Onnx;

/// <summary>The stored report's JSON has snake_case names (as Keras names its history), and reads back to the same report.</summary>
public sealed class ModelReportJsonTests
{
    private static readonly ModelReport Report = TestModels.Report(TestModels.Tutorial());

    [Fact]
    public void Top_level_holds_hyperparameters_architecture_history_test_dataset_and_created()
    {
        using var json = JsonDocument.Parse(Report.ToJson());
        Assert.Equal(
            ["architecture", "created", "dataset", "detector", "history", "hyperparameters", "misread", "producer", "schema_version", "test"],
            Names(json.RootElement));
        Assert.Equal("2026-11-26T16:24:55.1234567+00:00", json.RootElement.GetProperty("created").GetString());
    }

    [Fact]
    public void Hyperparameters_name_every_cli_setting_with_the_seed()
    {
        using var json = JsonDocument.Parse(Report.ToJson());
        var hyper = json.RootElement.GetProperty("hyperparameters");
        Assert.Equal(
            ["activation", "augment", "batch_size", "convolutions", "detector", "detector_epochs", "detector_hidden", "detector_members", "dropout",
             "elastic_alpha", "elastic_sigma", "epochs", "extra_data", "extra_weight", "hidden", "label_smoothing",
             "learning_rate", "loss", "lr_schedule", "momentum", "optimizer", "patience", "recipe", "rotation", "scale",
             "seed", "shear", "shift", "thickness", "threads", "validation_split", "warmup"],
            Names(hyper));
        Assert.Equal(42, hyper.GetProperty("seed").GetInt32());
        Assert.Equal([256, 128], hyper.GetProperty("hidden").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Architecture_lists_layer_sizes_activations_and_parameter_count()
    {
        using var json = JsonDocument.Parse(Report.ToJson());
        var architecture = json.RootElement.GetProperty("architecture");
        Assert.Equal(["inputs", "layers", "parameters"], Names(architecture));
        Assert.Equal(235_146, architecture.GetProperty("parameters").GetInt32());
        var first = architecture.GetProperty("layers")[0];
        Assert.Equal(["activation", "kind", "name", "parameters", "rate", "units"], Names(first));
        Assert.Equal(("dense_1", 256, "relu"), (first.GetProperty("name").GetString(), first.GetProperty("units").GetInt32(), first.GetProperty("activation").GetString()));
    }

    [Fact]
    public void History_entries_use_keras_names()
    {
        using var json = JsonDocument.Parse(Report.ToJson());
        var epoch = json.RootElement.GetProperty("history")[0];
        Assert.Equal(["accuracy", "epoch", "loss", "seconds", "val_accuracy", "val_loss"], Names(epoch));
        Assert.Equal(1, epoch.GetProperty("epoch").GetInt32());
    }

    [Fact]
    public void Test_holds_accuracy_loss_and_a_10_by_10_confusion_matrix()
    {
        using var json = JsonDocument.Parse(Report.ToJson());
        var test = json.RootElement.GetProperty("test");
        Assert.Equal(["accuracy", "confusion", "loss"], Names(test));
        var confusion = test.GetProperty("confusion");
        Assert.Equal(10, confusion.GetArrayLength());
        Assert.All(confusion.EnumerateArray(), row => Assert.Equal(10, row.GetArrayLength()));
        Assert.Equal(Report.Test.Confusion[4][9], confusion[4][9].GetInt32());
    }

    [Fact]
    public void Dataset_keeps_file_names_as_keys_of_their_sha256()
    {
        using var json = JsonDocument.Parse(Report.ToJson());
        var dataset = json.RootElement.GetProperty("dataset");
        Assert.Equal(["extra", "name", "sha256", "test", "train", "validation"], Names(dataset));
        // File names are data, not C# names: the naming policy must leave them alone.
        Assert.Equal(["train-images-idx3-ubyte", "train-labels-idx1-ubyte"], Names(dataset.GetProperty("sha256")));
    }

    [Fact]
    public void Doubles_survive_the_round_trip_exactly()
    {
        var back = ModelReport.FromJson(Report.ToJson());
        Assert.Equal(Report.Test.Loss, back.Test.Loss);
        Assert.Equal(Report.History, back.History);
        Assert.Equal(Report.ToJson(), back.ToJson());
    }

    [Fact]
    public void Choices_are_stored_as_lowercase_names_and_read_back()
    {
        var report = Report with
        {
            Hyperparameters = Report.Hyperparameters with { Activation = ActivationKind.Tanh, Optimizer = OptimizerKind.RmsProp, Loss = LossKind.Mse },
        };
        using var json = JsonDocument.Parse(report.ToJson());
        var hyper = json.RootElement.GetProperty("hyperparameters");
        Assert.Equal(("tanh", "rmsprop", "mse"),
            (hyper.GetProperty("activation").GetString(), hyper.GetProperty("optimizer").GetString(), hyper.GetProperty("loss").GetString()));
        Assert.Equal(report.Hyperparameters with { Hidden = Report.Hyperparameters.Hidden, DetectorHidden = Report.Hyperparameters.DetectorHidden, Convolutions = Report.Hyperparameters.Convolutions },
            ModelReport.FromJson(report.ToJson()).Hyperparameters with { Hidden = Report.Hyperparameters.Hidden, DetectorHidden = Report.Hyperparameters.DetectorHidden, Convolutions = Report.Hyperparameters.Convolutions });
    }

    [Fact]
    public void A_promotion_comparison_is_stored_only_when_the_gate_ran_and_reads_back()
    {
        var comparison = new PromotionComparison("retrained", "mnist-mlp", 0.981, 0.9818, 212, 0.93, 0.71, true, "Promoted: ...",
            DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var promoted = Report with { Promotion = comparison };

        Assert.False(JsonDocument.Parse(Report.ToJson()).RootElement.TryGetProperty("promotion", out _));
        var stored = JsonDocument.Parse(promoted.ToJson()).RootElement.GetProperty("promotion");
        Assert.Equal(0.9818, stored.GetProperty("current_mnist_accuracy").GetDouble());
        Assert.Equal(comparison, ModelReport.FromJson(promoted.ToJson()).Promotion);
    }

    [Fact]
    public void A_report_written_before_the_extra_data_settings_reads_with_their_defaults()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Report.ToJson())!;
        json["hyperparameters"]!.AsObject().Remove("extra_data");
        json["hyperparameters"]!.AsObject().Remove("extra_weight");
        json["dataset"]!.AsObject().Remove("extra");

        var read = ModelReport.FromJson(json.ToJsonString());

        Assert.Equal((null, 1, 0), (read.Hyperparameters.ExtraData, read.Hyperparameters.ExtraWeight, read.Dataset.Extra));
    }

    [Fact]
    public void The_committed_model_s_report_reads_with_its_settings()
    {
        var stored = OnnxModelReader.Read(Repo.MlpModel).Report.Hyperparameters;
        Assert.Equal((ActivationKind.Relu, OptimizerKind.Adam, LossKind.CrossEntropy), (stored.Activation, stored.Optimizer, stored.Loss));
        Assert.Equal([256, 128], stored.Hidden);
    }

    [Fact]
    public void The_printed_report_is_camel_case_with_the_same_choice_names()
    {
        using var json = JsonDocument.Parse(Report.ToPrintedJson());
        var root = json.RootElement;
        Assert.Equal(["architecture", "created", "dataset", "detector", "history", "hyperparameters", "misread", "producer", "schemaVersion", "test"], Names(root));
        var hyper = root.GetProperty("hyperparameters");
        Assert.Equal(TrainingSetting.All.Select(s => s.JsonName).Order(StringComparer.Ordinal), Names(hyper));
        Assert.Equal("relu", hyper.GetProperty("activation").GetString());
        Assert.Equal("adam", hyper.GetProperty("optimizer").GetString());
        Assert.Equal("crossentropy", hyper.GetProperty("loss").GetString());
        Assert.Equal(["accuracy", "epoch", "loss", "seconds", "valAccuracy", "valLoss"], Names(root.GetProperty("history")[0]));
        Assert.Equal(["train-images-idx3-ubyte", "train-labels-idx1-ubyte"], Names(root.GetProperty("dataset").GetProperty("sha256")));
    }

    [Fact]
    public void The_stored_keys_are_the_settings_job_keys()
    {
        using var json = JsonDocument.Parse(Report.ToJson());
        Assert.Equal(TrainingSetting.All.Select(s => s.JobKey).Order(StringComparer.Ordinal), Names(json.RootElement.GetProperty("hyperparameters")));
    }

    [Theory]
    [InlineData("\"activation\": \"relu\"", "\"activation\": \"gelu\"")]
    [InlineData("\"activation\": \"relu\"", "\"activation\": 1")]
    [InlineData("\"learning_rate\": 0.001,", "")]
    public void A_report_with_an_unknown_choice_or_a_missing_setting_is_a_format_exception(string from, string to)
    {
        var json = Report.ToJson();
        Assert.Contains(from, json);
        Assert.Throws<FormatException>(() => ModelReport.FromJson(json.Replace(from, to)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{\"created\": 5}")]
    [InlineData("{\"schema_version\": 1}")]
    public void Broken_json_is_a_format_exception(string json) =>
        Assert.Throws<FormatException>(() => ModelReport.FromJson(json));

    private static string[] Names(JsonElement element) =>
        element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
}
