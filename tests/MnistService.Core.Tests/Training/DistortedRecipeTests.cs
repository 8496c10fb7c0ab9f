using System.Text.Json.Nodes;
using MnistService.Core.Data;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

public class DistortedRecipeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_distorted_recipe_trains_the_same_weights_bit_for_bit_whatever_the_thread_count(int threads)
    {
        var train = Mnist.ReadDirectory(MnistTestSet.Directory).Train.Take(DistortedWeights.TrainImages);
        // As `--epochs 2 --threads N` makes them with the default recipe.
        var settings = TrainingRecipes.Build(new JsonObject { ["epochs"] = DistortedWeights.Epochs, ["threads"] = threads });

        var result = Trainer.Train(train.Images, train.Labels, settings);

        Assert.Equal(DistortedWeights.Expected, TutorialWeights.Hash(result.Model));
    }
}
