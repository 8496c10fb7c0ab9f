using MnistService.Core.Imaging;
using MnistService.Core.Training;
using MnistService.Core.Training.Jobs;

namespace MnistService.Trainer.Tests.Worker;

/// <summary>A job file's recipe: the CLI's rule, the recipe's settings with the job's keys in their place.</summary>
public sealed class TrainingJobRecipeTests
{
    [Fact]
    public void A_job_without_a_recipe_trains_the_default_recipe_and_its_keys_replace_the_recipe_s_values()
    {
        var settings = TrainingJob.Parse("""{ "epochs": 3, "label_smoothing": 0.2 }""", "job").Settings;
        Assert.Equal((RecipeKind.Distorted, AugmentKind.Affine, LearningRateScheduleKind.OneCycle, 0.003, 0.2, 3),
            (settings.Recipe, settings.Augment, settings.LrSchedule, settings.LearningRate, settings.LabelSmoothing, settings.Epochs));
    }

    [Fact]
    public void A_job_naming_the_tutorial_recipe_trains_the_tutorial_s_settings()
    {
        var settings = TrainingJob.Parse("""{ "recipe": "tutorial", "augment": "elastic", "elastic_alpha": 20 }""", "job").Settings;
        Assert.Equal((RecipeKind.Tutorial, AugmentKind.Elastic, 20.0, LearningRateScheduleKind.Constant, 0.001, 0.0, 50, 10),
            (settings.Recipe, settings.Augment, settings.ElasticAlpha, settings.LrSchedule, settings.LearningRate, settings.LabelSmoothing, settings.Epochs, settings.Patience));
    }
}
