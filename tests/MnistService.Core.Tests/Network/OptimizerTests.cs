using MnistService.Core.Network;

namespace MnistService.Core.Tests.Network;

/// <summary>One weight w = 1 with gradients 0.5 then -0.2; expected values worked out by hand from the update rules.</summary>
public class OptimizerTests
{
    private static float[] Steps(Optimizer optimizer, params float[] gradients)
    {
        // 17 copies of the same weight: 16 go through the vector loop (Vector<float> is 8 or 16 wide), the last through the scalar tail.
        var w = Enumerable.Repeat(1f, 17).ToArray();
        var g = new float[17];
        var trace = new List<float>();
        foreach (var gradient in gradients)
        {
            Array.Fill(g, gradient);
            optimizer.Step([new ParameterBuffer(w, g)]);
            Assert.All(w, value => Assert.Equal(w[0], value));
            trace.Add(w[0]);
        }
        return trace.ToArray();
    }

    [Fact]
    public void Sgd_steps_against_the_gradient()
    {
        // w = 1 - 0.1·0.5 = 0.95; then 0.95 - 0.1·(-0.2) = 0.97
        var w = Steps(new SgdOptimizer(0.1), 0.5f, -0.2f);
        Assert.Equal(0.95f, w[0], 1e-6f);
        Assert.Equal(0.97f, w[1], 1e-6f);
    }

    [Fact]
    public void Sgd_with_momentum_accumulates_velocity()
    {
        // v1 = -0.1·0.5 = -0.05, w = 0.95; v2 = 0.9·(-0.05) - 0.1·0.5 = -0.095, w = 0.855
        var w = Steps(new SgdOptimizer(0.1, 0.9), 0.5f, 0.5f);
        Assert.Equal(0.95f, w[0], 1e-6f);
        Assert.Equal(0.855f, w[1], 1e-6f);
    }

    [Fact]
    public void RmsProp_divides_by_the_root_mean_square()
    {
        // s1 = 0.1·0.25 = 0.025, w = 1 - 0.001·0.5/sqrt(0.025 + 1e-7) = 0.99683773
        // s2 = 0.9·0.025 + 0.1·0.04 = 0.0265, w = 0.99683773 + 0.001·0.2/sqrt(0.0265 + 1e-7) = 0.99806632
        var w = Steps(new RmsPropOptimizer(), 0.5f, -0.2f);
        Assert.Equal(0.99683773f, w[0], 1e-6f);
        Assert.Equal(0.99806632f, w[1], 1e-6f);
    }

    [Fact]
    public void Adam_takes_two_bias_corrected_steps()
    {
        // t=1: m = 0.05, v = 0.00025, α = 0.001·sqrt(0.001)/0.1 = 3.1623e-4, w = 1 - α·0.05/(0.0158114 + 1e-7) = 0.99900001
        // t=2: m = 0.025, v = 0.00028975, α = 0.001·sqrt(1 - 0.999²)/(1 - 0.81) = 2.3532e-4,
        //      w = 0.99900001 - α·0.025/(0.0170220 + 1e-7) = 0.99865440
        var w = Steps(new AdamOptimizer(), 0.5f, -0.2f);
        Assert.Equal(0.99900001f, w[0], 1e-6f);
        Assert.Equal(0.99865440f, w[1], 1e-6f);
    }

    [Fact]
    public void An_unknown_optimizer_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizer.Create((OptimizerKind)9, 0.01));
        Assert.IsType<SgdOptimizer>(Optimizer.Create(OptimizerKind.Sgd, 0.01));
    }
}
