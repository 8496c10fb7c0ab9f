using MnistService.Core.Network;

namespace MnistService.Core.Tests.Network;

/// <summary>The convolution and pooling layers: their values, their gradients, and the same bits on any thread count.</summary>
public class ConvolutionTests
{
    [Fact]
    public void A_kernel_with_one_weight_at_an_offset_shifts_the_image_and_pads_with_zeros()
    {
        // 3x3 kernel, one channel in, one out: weight 1 at offset (0, 1) reads the pixel above.
        var layer = new Conv2dLayer(3, 4, 1, 1, 3, threads: 1);
        layer.Weights[0 * 3 + 1] = 1;
        layer.Bias[0] = 0.5f;
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var y = new float[12];
        layer.Forward(x, y, 1, false);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f, 8.5f], y);
    }

    [Fact]
    public void Max_pooling_keeps_the_largest_of_each_two_by_two_block_per_channel_and_drops_an_odd_edge()
    {
        // 3x4 image of two channels (HWC): channel 0 counts up, channel 1 down.
        var x = new float[3 * 4 * 2];
        for (var p = 0; p < 12; p++)
        {
            (x[p * 2], x[p * 2 + 1]) = (p, -p);
        }
        var layer = new MaxPool2dLayer(3, 4, 2);
        var y = new float[layer.Outputs];
        layer.Forward(x, y, 1, false);
        Assert.Equal([5f, 0f, 7f, -2f], y);

        var dx = new float[x.Length];
        layer.Backward(x, y, [1f, 2f, 3f, 4f], dx, 1);
        var expected = new float[x.Length];
        (expected[5 * 2], expected[0 * 2 + 1], expected[7 * 2], expected[2 * 2 + 1]) = (1, 2, 3, 4);
        Assert.Equal(expected, dx);
    }

    [Fact]
    public void Convolution_gradients_match_finite_differences()
    {
        const int rows = 2, height = 5, width = 4, inChannels = 3, outChannels = 2;
        var layer = new Conv2dLayer(height, width, inChannels, outChannels, 3, threads: 1);
        layer.InitializeGlorotUniform(new Rng(7));
        GemmTests.Random(outChannels, 8).CopyTo(layer.Bias, 0);
        float[] x = GemmTests.Random(rows * layer.Inputs, 9), r = GemmTests.Random(rows * layer.Outputs, 10);
        var y = new float[rows * layer.Outputs];
        double Objective() { layer.Forward(x, y, rows, true); return GradientCheckTests.Dot(y, r); }

        var dx = new float[x.Length];
        layer.Forward(x, y, rows, true);
        layer.Backward(x, y, r, dx, rows);
        float[] dw = (float[])layer.WeightGradient.Clone(), db = (float[])layer.BiasGradient.Clone();

        GradientCheckTests.AssertMatches(x, dx, Objective, "dx");
        GradientCheckTests.AssertMatches(layer.Weights, dw, Objective, "dW");
        GradientCheckTests.AssertMatches(layer.Bias, db, Objective, "db");
    }

    [Fact]
    public void Pooling_gradients_match_finite_differences()
    {
        const int rows = 2;
        var layer = new MaxPool2dLayer(4, 5, 3);
        // Distinct values, far apart, so that ±h never changes which value wins a block.
        var x = Enumerable.Range(0, rows * layer.Inputs).Select(i => (float)((i * 37) % 101) / 10).ToArray();
        var r = GemmTests.Random(rows * layer.Outputs, 11);
        var y = new float[rows * layer.Outputs];
        var dx = new float[x.Length];
        layer.Forward(x, y, rows, true);
        layer.Backward(x, y, r, dx, rows);
        GradientCheckTests.AssertMatches(x, dx, () => { layer.Forward(x, y, rows, true); return GradientCheckTests.Dot(y, r); }, "dx");
    }

    [Fact]
    public void A_convolution_gives_the_same_bits_on_one_thread_and_on_four()
    {
        const int rows = 9;
        float[] Run(int threads, out float[] dx, out float[] dw)
        {
            var layer = new Conv2dLayer(14, 14, 16, 32, 5, threads);
            layer.InitializeGlorotUniform(new Rng(3));
            var x = GemmTests.Random(rows * layer.Inputs, 4);
            var y = new float[rows * layer.Outputs];
            layer.Forward(x, y, rows, true);
            dx = new float[x.Length];
            layer.Backward(x, y, GemmTests.Random(y.Length, 5), dx, rows);
            dw = layer.WeightGradient;
            return y;
        }
        var y1 = Run(1, out var dx1, out var dw1);
        var y4 = Run(4, out var dx4, out var dw4);
        Assert.Equal(y1, y4);
        Assert.Equal(dx1, dx4);
        Assert.Equal(dw1, dw4);
    }
}
