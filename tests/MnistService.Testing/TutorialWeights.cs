using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MnistService.Core.Network;

namespace MnistService.Testing;

/// <summary>
/// The tutorial recipe's weights after <see cref="Epochs"/> epochs on the first <see cref="TrainImages"/> MNIST
/// training images (seed 42), as SHA-256 of the parameters in <see cref="Mlp.CopyParametersTo"/>'s order,
/// recorded from the trainer as it was before augmentation, schedules and label smoothing existed. One hash per
/// matrix-product path: float sums differ between vector widths, while each path is exact.
/// </summary>
public static class TutorialWeights
{
    public const int TrainImages = 3_000;
    public const int Epochs = 2;

    private static readonly Dictionary<GemmPath, string> Recorded = new()
    {
        [GemmPath.Avx512] = "961db63a6735aad72046db42af3806b4b33b504f9bf02153e4b2fed0a33a5201",
        [GemmPath.Avx2] = "961db63a6735aad72046db42af3806b4b33b504f9bf02153e4b2fed0a33a5201",
        [GemmPath.Scalar] = "1fede6d75434678517aa4b0a30d028d3e20b246968c0c13a6324aa7b1eeb8f9d",
    };

    /// <summary>The recorded hash for this CPU's path.</summary>
    public static string Expected => Recorded[Gemm.BestPath];

    public static string Hash(Mlp model)
    {
        var flat = new float[model.ParameterCount];
        model.CopyParametersTo(flat);
        return Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(flat.AsSpan())));
    }
}
