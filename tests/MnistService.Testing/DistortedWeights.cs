using MnistService.Core.Network;

namespace MnistService.Testing;

/// <summary>
/// The distorted recipe's weights after <see cref="Epochs"/> epochs on the first <see cref="TrainImages"/> MNIST
/// training images (seed 42), hashed as <see cref="TutorialWeights.Hash"/> does, recorded from the trainer as it
/// was when it distorted each chunk of batches just before training on it. Two epochs of 2,700 training images
/// are 22 batches each, more than the batch maker has slots: it wraps around them and runs ahead into the
/// next epoch. One hash per matrix-product path, as for the tutorial's.
/// </summary>
public static class DistortedWeights
{
    public const int TrainImages = 3_000;
    public const int Epochs = 2;

    private static readonly Dictionary<GemmPath, string> Recorded = new()
    {
        [GemmPath.Avx512] = "b28f681c3e9c2ea4258520491a0a1c94e46e7b02b14953141024512c00823d75",
        [GemmPath.Avx2] = "b28f681c3e9c2ea4258520491a0a1c94e46e7b02b14953141024512c00823d75",
        [GemmPath.Scalar] = "fc8943b57d96020f27dc7525ffaa1556eab92414022580a88ff0464de8f49af2",
    };

    /// <summary>The recorded hash for this CPU's path.</summary>
    public static string Expected => Recorded[Gemm.BestPath];
}
