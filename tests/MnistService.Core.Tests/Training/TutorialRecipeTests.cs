using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MnistService.Core.Data;
using MnistService.Core.Network;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

public class TutorialRecipeTests
{
    /// <summary>
    /// SHA-256 of the parameters after two tutorial epochs on the first 3,000 MNIST training images,
    /// recorded from the trainer as it was before augmentation, schedules and label smoothing existed,
    /// for each matrix-product path (float sums differ between vector widths; each path is exact).
    /// </summary>
    private static readonly Dictionary<GemmPath, string> RecordedHashes = new()
    {
        [GemmPath.Avx512] = "961db63a6735aad72046db42af3806b4b33b504f9bf02153e4b2fed0a33a5201",
        [GemmPath.Avx2] = "961db63a6735aad72046db42af3806b4b33b504f9bf02153e4b2fed0a33a5201",
        [GemmPath.Scalar] = "1fede6d75434678517aa4b0a30d028d3e20b246968c0c13a6324aa7b1eeb8f9d",
    };

    [Fact]
    public void The_tutorial_settings_train_the_same_weights_bit_for_bit_as_before_recipes_existed()
    {
        var train = Mnist.ReadDirectory(MnistTestSet.Directory).Train.Take(3_000);
        var settings = new TrainingSettings() with { Epochs = 2 };

        var result = Trainer.Train(train.Images, train.Labels, settings);

        var flat = new float[result.Model.ParameterCount];
        result.Model.CopyParametersTo(flat);
        var hash = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(flat.AsSpan())));
        Assert.True(RecordedHashes.TryGetValue(Gemm.BestPath, out var expected),
            $"No hash recorded for the {Gemm.BestPath} path; this run gives {hash}.");
        Assert.Equal(expected, hash);
    }
}
