using MnistService.Core.Network;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Insight;

/// <summary>
/// A dense layer's weights drawn as one tile per unit, each tile the unit's weight from every input laid out
/// as the input is (28x28 pixels for the first layer: "the network connects these pixels"). Colours diverge
/// from white: red where a bright input raises the unit, blue where it lowers it, scaled per tile by its
/// largest |w| so every unit's pattern shows, however large its weights.
/// </summary>
public static class WeightTiles
{
    private const int Gap = 1;
    private static readonly Rgb24 Background = new(160, 160, 160);
    private static readonly (float R, float G, float B) Zero = (255, 255, 255), Positive = (178, 24, 43), Negative = (33, 102, 172);

    /// <summary>28x28 for a layer that reads the image; otherwise the squarest grid that holds the inputs.</summary>
    public static (int Width, int Height) TileSize(int inputs)
    {
        if (inputs == MnistService.Core.Onnx.OnnxModelFormat.InputFeatures)
        {
            return (MnistService.Core.Onnx.OnnxModelFormat.ImageWidth, MnistService.Core.Onnx.OnnxModelFormat.ImageHeight);
        }

        var width = (int)Math.Ceiling(Math.Sqrt(inputs));
        return (width, (inputs + width - 1) / width);
    }

    /// <summary>Unit u's weights, W[·, u], in input order.</summary>
    public static float[] UnitWeights(DenseLayerParameters layer, int unit)
    {
        var weights = new float[layer.Inputs];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = layer.Weights[i * layer.Outputs + unit];
        }

        return weights;
    }

    public static byte[] Png(DenseLayerParameters layer)
    {
        var (tileWidth, tileHeight) = TileSize(layer.Inputs);
        var columns = (int)Math.Ceiling(Math.Sqrt(layer.Outputs));
        var rows = (layer.Outputs + columns - 1) / columns;
        using var image = new Image<Rgb24>(Gap + columns * (tileWidth + Gap), Gap + rows * (tileHeight + Gap), Background);
        for (var unit = 0; unit < layer.Outputs; unit++)
        {
            var weights = UnitWeights(layer, unit);
            var scale = weights.Max(MathF.Abs);
            int left = Gap + unit % columns * (tileWidth + Gap), top = Gap + unit / columns * (tileHeight + Gap);
            for (var i = 0; i < weights.Length; i++)
            {
                image[left + i % tileWidth, top + i / tileWidth] = Colour(scale > 0 ? weights[i] / scale : 0);
            }
        }

        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    /// <summary>t in [-1, 1]: white at 0, towards red (positive) or blue (negative).</summary>
    private static Rgb24 Colour(float t)
    {
        var (r, g, b) = t >= 0 ? Positive : Negative;
        var a = MathF.Min(1, MathF.Abs(t));
        return new Rgb24((byte)(Zero.R + (r - Zero.R) * a), (byte)(Zero.G + (g - Zero.G) * a), (byte)(Zero.B + (b - Zero.B) * a));
    }
}
