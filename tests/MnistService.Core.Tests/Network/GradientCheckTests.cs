using MnistService.Core.Network;

namespace MnistService.Core.Tests.Network;

/// <summary>
/// Every backward pass against central differences (f(x + h) - f(x - h)) / 2h of a scalar function of the
/// forward pass. Layers are checked through L = Σ y ⊙ R with a fixed random R, so dL/dy = R.
/// </summary>
public class GradientCheckTests
{
    private const float H = 1e-3f;

    [Fact]
    public void Dense_layer_gradients_match_finite_differences()
    {
        const int rows = 3, inputs = 5, outputs = 4;
        var layer = new DenseLayer(inputs, outputs, "relu", threads: 1);
        layer.InitializeGlorotUniform(new Rng(1));
        GemmTests.Random(outputs, 2).CopyTo(layer.Bias, 0);
        float[] x = GemmTests.Random(rows * inputs, 3), r = GemmTests.Random(rows * outputs, 4);
        var y = new float[rows * outputs];
        double Objective() { layer.Forward(x, y, rows, true); return Dot(y, r); }

        var dx = new float[rows * inputs];
        layer.Forward(x, y, rows, true);
        layer.Backward(x, y, r, dx, rows);
        float[] dw = (float[])layer.WeightGradient.Clone(), db = (float[])layer.BiasGradient.Clone();

        AssertMatches(x, dx, Objective, "dx");
        AssertMatches(layer.Weights, dw, Objective, "dW");
        AssertMatches(layer.Bias, db, Objective, "db");
    }

    public static TheoryData<string> ActivationNames => ["relu", "sigmoid", "tanh", "softmax"];

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void Activation_gradients_match_finite_differences(string name)
    {
        const int rows = 4, width = 6;
        Layer layer = name switch
        {
            "relu" => new ReluLayer(width),
            "sigmoid" => new SigmoidLayer(width),
            "tanh" => new TanhLayer(width),
            _ => new SoftmaxLayer(width),
        };
        float[] x = GemmTests.Random(rows * width, 5), r = GemmTests.Random(rows * width, 6);
        // ReLU has a kink at 0: keep the inputs away from it so that ±h does not cross it.
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = x[i] * 2 + (x[i] >= 0 ? 0.1f : -0.1f);
        }

        var y = new float[x.Length];
        var dx = new float[x.Length];
        layer.Forward(x, y, rows, true);
        layer.Backward(x, y, r, dx, rows);
        AssertMatches(x, dx, () => { layer.Forward(x, y, rows, true); return Dot(y, r); }, name);
    }

    [Fact]
    public void Dropout_backward_passes_gradients_through_the_kept_units_only()
    {
        const int rows = 4, width = 50;
        var layer = new DropoutLayer(width, 0.5, new Rng(7));
        float[] x = GemmTests.Random(rows * width, 8), r = GemmTests.Random(rows * width, 9);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        layer.Forward(x, y, rows, training: true);
        layer.Backward(x, y, r, dx, rows);
        // With the mask fixed, y = x ⊙ mask is linear in x: dL/dx = R ⊙ mask exactly.
        var mask = layer.Mask[..x.Length].ToArray();
        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(x[i] * mask[i], y[i]);
            Assert.Equal(r[i] * mask[i], dx[i]);
        }
        Assert.Contains(0f, mask);
        Assert.Contains(2f, mask);
    }

    [Theory]
    [InlineData(LossKind.CrossEntropy, 0.0)]
    [InlineData(LossKind.CrossEntropy, 0.1)]
    [InlineData(LossKind.CrossEntropy, 0.5)]
    [InlineData(LossKind.Mse, 0.0)]
    public void Loss_gradients_with_respect_to_the_logits_match_finite_differences(LossKind name, double labelSmoothing)
    {
        const int rows = 5, classes = 4;
        var loss = Loss.Create(name, labelSmoothing);
        var softmax = new SoftmaxLayer(classes);
        var z = GemmTests.Random(rows * classes, 10);
        byte[] labels = [0, 3, 1, 2, 3];
        var p = new float[z.Length];
        double MeanLoss() { softmax.Forward(z, p, rows, false); return loss.Sum(p, labels, rows, classes) / rows; }

        var dz = new float[z.Length];
        softmax.Forward(z, p, rows, false);
        loss.Gradient(p, labels, dz, rows, classes);
        AssertMatches(z, dz, MeanLoss, $"{name}, label smoothing {labelSmoothing}");
    }

    [Fact]
    public void Label_smoothing_is_keras_s_the_targets_are_one_minus_epsilon_on_the_label_and_epsilon_over_C_everywhere()
    {
        float[] p = [0.7f, 0.1f, 0.1f, 0.1f];
        var smoothed = new CrossEntropyLoss(0.2).Sum(p, [0], 1, 4);
        // y = 0.8·onehot + 0.05: 0.85 on the label, 0.05 elsewhere.
        Assert.Equal(-(0.85 * Math.Log(0.7) + 3 * 0.05 * Math.Log(0.1)), smoothed, 6);
        var dz = new float[4];
        new CrossEntropyLoss(0.2).Gradient(p, [0], dz, 1, 4);
        Assert.Equal([-0.15, 0.05, 0.05, 0.05], dz.Select(v => Math.Round(v, 6)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.Create(LossKind.Mse, 0.1));
    }

    [Theory]
    [InlineData(ActivationKind.Relu, LossKind.CrossEntropy)]
    [InlineData(ActivationKind.Sigmoid, LossKind.CrossEntropy)]
    [InlineData(ActivationKind.Tanh, LossKind.Mse)]
    public void Whole_network_backward_matches_finite_differences(ActivationKind activation, LossKind lossName)
    {
        const int rows = 6;
        var mlp = new Mlp(new MlpSpec(7, [5, 4], activation, 0, 3), seed: 3, threads: 1);
        mlp.EnsureCapacity(rows);
        foreach (var b in mlp.ParameterBuffers)
        {
            if (b.Value.Length <= 5)
            {
                GemmTests.Random(b.Value.Length, 11).CopyTo(b.Value, 0); // non-zero biases
            }
        }

        var x = GemmTests.Random(rows * 7, 12);
        byte[] labels = [0, 1, 2, 2, 1, 0];
        var loss = Loss.Create(lossName);
        double MeanLoss() => loss.Sum(mlp.Forward(x, rows, true), labels, rows, 3) / rows;

        var dz = new float[rows * 3];
        loss.Gradient(mlp.Forward(x, rows, true), labels, dz, rows, 3);
        mlp.Backward(x, dz, rows);
        var gradients = mlp.ParameterBuffers.Select(b => (float[])b.Gradient.Clone()).ToList();
        for (var i = 0; i < gradients.Count; i++)
        {
            AssertMatches(mlp.ParameterBuffers[i].Value, gradients[i], MeanLoss, $"{activation}/{lossName} buffer {i}");
        }
    }

    internal static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += (double)a[i] * b[i];
        }

        return s;
    }

    /// <summary>Nudges each value of <paramref name="parameter"/> by ±h and compares the slope with the analytic gradient.</summary>
    internal static void AssertMatches(float[] parameter, float[] analytic, Func<double> objective, string what)
    {
        for (var i = 0; i < parameter.Length; i++)
        {
            var saved = parameter[i];
            parameter[i] = saved + H;
            var plus = objective();
            parameter[i] = saved - H;
            var minus = objective();
            parameter[i] = saved;
            var numeric = (plus - minus) / (2 * H);
            var tolerance = 2e-3 + 2e-2 * Math.Abs(numeric);
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                $"{what}[{i}]: analytic {analytic[i]}, numeric {numeric}");
        }
    }
}
