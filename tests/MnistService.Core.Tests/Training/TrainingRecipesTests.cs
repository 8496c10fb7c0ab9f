using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

public class TrainingRecipesTests
{
    /// <summary>Settings compared by value, as their stored form (the record compares its list of widths by reference).</summary>
    private static void AssertSame(TrainingSettings expected, TrainingSettings actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected, TrainingRecipes.JobJsonOptions), JsonSerializer.Serialize(actual, TrainingRecipes.JobJsonOptions));

    [Fact]
    public void The_tutorial_recipe_is_the_settings_record_s_defaults_and_no_recipe_means_the_distorted_one()
    {
        AssertSame(new TrainingSettings(), TrainingRecipes.Build(new JsonObject { ["recipe"] = "tutorial" }));
        AssertSame(TrainingRecipes.Distorted, TrainingRecipes.Build([]));
        Assert.Equal(RecipeKind.Distorted, TrainingRecipes.Default);

        // The network is the tutorial's in both: only how it is trained differs.
        Assert.Equal(TrainingRecipes.Tutorial.ToSpec().Hidden, TrainingRecipes.Distorted.ToSpec().Hidden);
        AssertSame(TrainingRecipes.Tutorial, TrainingRecipes.Distorted with
        {
            Recipe = RecipeKind.Tutorial, Augment = AugmentKind.None, Thickness = 0, LrSchedule = LearningRateScheduleKind.Constant,
            LearningRate = 0.001, Warmup = 0, LabelSmoothing = 0, Epochs = 50, Patience = 10, ValidationSplit = 0.2,
        });
    }

    [Fact]
    public void Another_loss_named_alone_takes_no_label_smoothing_from_the_recipe()
    {
        var mse = TrainingRecipes.Build(new JsonObject { ["loss"] = "mse" });
        AssertSame(TrainingRecipes.Distorted with { Loss = LossKind.Mse, LabelSmoothing = 0 }, mse);
        Assert.Empty(mse.Validate());
    }

    [Fact]
    public void Settings_given_beside_a_recipe_replace_its_values_and_keep_the_rest()
    {
        var settings = TrainingRecipes.Build(new JsonObject { ["recipe"] = "tutorial", ["augment"] = "elastic", ["epochs"] = 5, ["hidden"] = new JsonArray(64) });
        AssertSame(TrainingRecipes.Tutorial with { Augment = AugmentKind.Elastic, Epochs = 5, Hidden = [64] }, settings);
        Assert.Equal(RecipeKind.Tutorial, settings.Recipe);

        var distorted = TrainingRecipes.Build(new JsonObject { ["label_smoothing"] = 0 });
        AssertSame(TrainingRecipes.Distorted with { LabelSmoothing = 0 }, distorted);
    }

    [Theory]
    [InlineData("rotation", -1.0, "rotation must be 0-45 degrees, got -1.")]
    [InlineData("scale", 0.6, "scale must be 0-0.5 (a relative change), got 0.6.")]
    [InlineData("shift", 9.0, "shift must be 0-8 pixels, got 9.")]
    [InlineData("elastic_sigma", 0.0, "elastic_sigma must be above 0 and at most 10 pixels, got 0.")]
    [InlineData("warmup", 1.0, "warmup must be at least 0 and below 1 (a fraction of the training steps), got 1.")]
    [InlineData("label_smoothing", 1.0, "label_smoothing must be at least 0 and below 1, got 1.")]
    public void Recipe_settings_out_of_range_are_named_with_their_range(string key, double value, string message)
    {
        var settings = TrainingRecipes.Build(new JsonObject { [key] = value });
        Assert.Equal(message, Assert.Single(settings.Validate()).Describe(s => s.JobKey));
    }

    [Fact]
    public void Label_smoothing_needs_the_cross_entropy_loss()
    {
        var settings = TrainingRecipes.Build(new JsonObject { ["loss"] = "mse", ["label_smoothing"] = 0.1 });
        Assert.Equal("label_smoothing applies only to the crossentropy loss, not mse.", Assert.Single(settings.Validate()).Describe(s => s.JobKey));
    }

    [Fact]
    public void A_report_records_the_recipe_and_one_written_before_recipes_existed_reads_as_the_tutorial_s()
    {
        var report = new ModelReport
        {
            Created = DateTimeOffset.UnixEpoch,
            Hyperparameters = TrainingRecipes.Distorted,
            Architecture = new ArchitectureInfo { Inputs = 784, Layers = [], Parameters = 0 },
            History = [],
            Test = new TestResult(0.99, 0.05, []),
            Dataset = new DatasetInfo("mnist", new Dictionary<string, string>(), 48_000, 12_000, 10_000),
        };
        var json = JsonNode.Parse(report.ToJson())!;
        Assert.Equal("affine", (string?)json["hyperparameters"]!["augment"]);
        Assert.Equal("onecycle", (string?)json["hyperparameters"]!["lr_schedule"]);
        AssertSame(TrainingRecipes.Distorted, ModelReport.FromJson(json.ToJsonString()).Hyperparameters);

        var hyperparameters = json["hyperparameters"]!.AsObject();
        foreach (var setting in TrainingSetting.RecipeSettings)
        {
            hyperparameters.Remove(setting.JobKey);
        }
        hyperparameters["learning_rate"] = 0.001;
        hyperparameters["epochs"] = 50;
        hyperparameters["patience"] = 10;
        hyperparameters["validation_split"] = 0.2;
        AssertSame(TrainingRecipes.Tutorial, ModelReport.FromJson(json.ToJsonString()).Hyperparameters);
    }

    [Fact]
    public void Training_with_distortions_and_a_schedule_gives_the_same_weights_whatever_the_thread_count()
    {
        var (images, labels) = TrainerTests.Synthetic(1_000, 1);
        var settings = TrainingRecipes.Distorted with { Hidden = [96, 64], Epochs = 2, BatchSize = 64, Augment = AugmentKind.Elastic };
        byte[] Weights(TrainingSettings run)
        {
            var model = Trainer.Train(images, labels, run).Model;
            var flat = new float[model.ParameterCount];
            model.CopyParametersTo(flat);
            return MemoryMarshal.AsBytes(flat.AsSpan()).ToArray();
        }

        var one = Weights(settings with { Threads = 1 });
        Assert.Equal(one, Weights(settings with { Threads = 3 }));
        Assert.NotEqual(one, Weights(settings with { Threads = 1, Augment = AugmentKind.Affine }));
    }
}
