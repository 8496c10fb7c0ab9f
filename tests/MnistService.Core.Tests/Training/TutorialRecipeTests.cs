using System.Text.Json.Nodes;
using MnistService.Core.Data;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

public class TutorialRecipeTests
{
    [Fact]
    public void The_tutorial_recipe_trains_the_same_weights_bit_for_bit_as_before_recipes_existed()
    {
        var train = Mnist.ReadDirectory(MnistTestSet.Directory).Train.Take(TutorialWeights.TrainImages);
        // As `--recipe tutorial --epochs 2` makes them.
        var settings = TrainingRecipes.Build(new JsonObject { ["recipe"] = "tutorial", ["epochs"] = TutorialWeights.Epochs });

        var result = Trainer.Train(train.Images, train.Labels, settings);

        Assert.Equal(TutorialWeights.Expected, TutorialWeights.Hash(result.Model));
    }
}
