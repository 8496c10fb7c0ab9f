using MnistService.Core.Network;

namespace MnistService.Core.Tests.Network;

public class MlpTests
{
    [Fact]
    public void The_tutorial_model_has_235146_parameters_and_a_keras_like_summary()
    {
        var mlp = new Mlp(MlpSpec.Tutorial, seed: 42);
        Assert.Equal(235_146, mlp.ParameterCount);
        Assert.Equal(
            [(784, 256, "relu"), (256, 128, "relu"), (128, 10, "softmax")],
            mlp.GetParameters().Select(l => (l.Inputs, l.Outputs, l.Activation)).ToArray());
        Assert.Equal(0.3, mlp.Layers.OfType<DropoutLayer>().Single().Rate);
    }

    [Fact]
    public void Convolution_blocks_come_before_the_dense_layers_and_count_as_pytorch_counts_the_same_network()
    {
        // conv 5x5 16, pool, conv 5x5 32, pool, 128, 10: PyTorch counts 215,370 parameters (pytorch_cnn.py).
        var mlp = new Mlp(new MlpSpec(784, [128], ActivationKind.Relu, 0.3, 10, [16, 32]), seed: 1);
        Assert.Equal(215_370, mlp.ParameterCount);
        Assert.Equal(
            [typeof(Conv2dLayer), typeof(ReluLayer), typeof(MaxPool2dLayer), typeof(Conv2dLayer), typeof(ReluLayer), typeof(MaxPool2dLayer),
             typeof(DenseLayer), typeof(ReluLayer), typeof(DropoutLayer), typeof(DenseLayer), typeof(SoftmaxLayer)],
            mlp.Layers.Select(l => l.GetType()).ToArray());
        Assert.Equal(7 * 7 * 32, mlp.GetParameters()[0].Inputs);
    }

    [Fact]
    public void More_convolution_blocks_than_the_image_can_be_halved_is_an_error()
    {
        var e = Assert.Throws<ArgumentException>(() => new Mlp(MlpSpec.Tutorial with { Convolutions = [8, 8, 8, 8, 8] }, seed: 1));
        Assert.Contains("5 convolution blocks", e.Message);
    }

    [Fact]
    public void An_unknown_activation_is_an_error_not_a_tanh()
    {
        var spec = MlpSpec.Tutorial with { Activation = (ActivationKind)7 };
        Assert.Throws<ArgumentException>(() => new Mlp(spec, seed: 1));
        var layers = new Mlp(MlpSpec.Tutorial, seed: 1).GetParameters().ToList();
        for (var i = 0; i < layers.Count - 1; i++)
        {
            layers[i] = layers[i] with { Activation = "gelu" };
        }
        var e = Assert.Throws<ArgumentException>(() => Mlp.FromParameters(layers));
        Assert.Contains("'gelu'", e.Message);
    }

    [Fact]
    public void Weights_are_glorot_uniform_and_biases_zero()
    {
        var mlp = new Mlp(MlpSpec.Tutorial, seed: 1);
        foreach (var layer in mlp.GetParameters())
        {
            var limit = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            Assert.All(layer.Weights, w => Assert.InRange(w, -limit, limit));
            Assert.All(layer.Bias, b => Assert.Equal(0f, b));
            if (layer.Weights.Length < 10_000)
            {
                continue;
            }
            // U(-l, l) has mean 0 and variance l²/3; with 30k+ draws both are tight.
            var mean = layer.Weights.Average(w => (double)w);
            var variance = layer.Weights.Average(w => (w - mean) * (w - mean));
            Assert.InRange(mean, -0.01 * limit, 0.01 * limit);
            Assert.InRange(variance, 0.97 * limit * limit / 3, 1.03 * limit * limit / 3);
            Assert.True(layer.Weights.Max() > 0.99 * limit && layer.Weights.Min() < -0.99 * limit, "the draws should span the interval");
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_another_seed_different_ones()
    {
        float[] Flat(int seed)
        {
            var mlp = new Mlp(MlpSpec.Tutorial, seed);
            var flat = new float[mlp.ParameterCount];
            mlp.CopyParametersTo(flat);
            return flat;
        }
        Assert.Equal(Flat(42), Flat(42));
        Assert.NotEqual(Flat(42), Flat(43));
    }

    [Fact]
    public void Predict_gives_probability_rows_and_survives_a_round_trip_through_its_parameters()
    {
        var mlp = new Mlp(new MlpSpec(784, [64, 32], ActivationKind.Tanh, 0.5, 10), seed: 5, threads: 2);
        const int count = 300; // more than one internal batch
        var images = GemmTests.Random(count * 784, 13).Select(v => (v + 1) / 2).ToArray();
        var p = new float[count * 10];
        mlp.Predict(images, count, p);
        for (var r = 0; r < count; r++)
        {
            var row = p.AsSpan(r * 10, 10);
            Assert.All(row.ToArray(), v => Assert.InRange(v, 0f, 1f));
            Assert.Equal(1.0, row.ToArray().Sum(), 1e-5);
        }
        // Inference has no dropout: the same images twice give the same output, and a rebuilt model agrees.
        var again = new float[p.Length];
        mlp.Predict(images, count, again);
        Assert.Equal(p, again);
        var loaded = Mlp.FromParameters(mlp.GetParameters(), threads: 1);
        Assert.Equal(mlp.ParameterCount, loaded.ParameterCount);
        loaded.Predict(images, count, again);
        Assert.Equal(p, again);
        // One image at a time gives the same bits as a batch.
        var single = new float[10];
        loaded.Predict(images.AsSpan(7 * 784, 784), 1, single);
        Assert.Equal(p.AsSpan(70, 10).ToArray(), single);
    }

    [Fact]
    public void GetParameters_returns_copies()
    {
        var mlp = new Mlp(MlpSpec.Tutorial, seed: 1);
        var first = mlp.GetParameters();
        first[0].Weights[0] = 123f;
        Assert.NotEqual(123f, mlp.GetParameters()[0].Weights[0]);
    }

    [Fact]
    public void FromParameters_rejects_layers_that_do_not_chain()
    {
        var layers = new Mlp(MlpSpec.Tutorial, seed: 1).GetParameters().ToList();
        layers.RemoveAt(1);
        var e = Assert.Throws<ArgumentException>(() => Mlp.FromParameters(layers));
        Assert.Contains("takes 128 inputs but layer 0 gives 256", e.Message);
        var noSoftmax = new Mlp(MlpSpec.Tutorial, seed: 1).GetParameters().ToList();
        noSoftmax[^1] = noSoftmax[^1] with { Activation = "relu" };
        Assert.Contains("softmax", Assert.Throws<ArgumentException>(() => Mlp.FromParameters(noSoftmax)).Message);
    }

    [Fact]
    public void Dropout_is_inverted_and_only_active_while_training()
    {
        const int n = 100_000;
        var layer = new DropoutLayer(n, 0.3, new Rng(3));
        var x = Enumerable.Repeat(1f, n).ToArray();
        var y = new float[n];
        layer.Forward(x, y, 1, training: false);
        Assert.Equal(x, y);
        layer.Forward(x, y, 1, training: true);
        var kept = y.Count(v => v != 0);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.7f) < 1e-6, $"{v} is neither dropped nor scaled by 1/0.7"));
        // Keep rate 0.7 ± 5 standard deviations (sd = sqrt(n·0.7·0.3) ≈ 145).
        Assert.InRange(kept, 70_000 - 725, 70_000 + 725);
        // The scaling keeps the expected value: the mean output stays about 1.
        Assert.InRange(y.Average(), 0.98, 1.02);
        // A new batch gets a new mask.
        var y2 = new float[n];
        layer.Forward(x, y2, 1, training: true);
        Assert.NotEqual(y, y2);
    }

    [Fact]
    public void Rng_is_reproducible_and_uniform()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(a.NextUInt32(), b.NextUInt32());
        }

        var bulk = new uint[37];
        new Rng(42).NextUInt32s(bulk);
        var one = new Rng(42);
        Assert.Equal(bulk, Enumerable.Range(0, 37).Select(_ => one.NextUInt32()));
        var counts = new int[10];
        var r = new Rng(7);
        for (var i = 0; i < 100_000; i++)
        {
            counts[r.NextInt(10)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        var order = Enumerable.Range(0, 50).ToArray();
        r.Shuffle(order);
        Assert.Equal(Enumerable.Range(0, 50), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 50), order);
    }
}
