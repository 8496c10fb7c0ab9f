using MnistService.Core.Network;

namespace MnistService.Core.Tests.Detector;

/// <summary>The detector's backward pass is the gradient of its loss, for both kinds, checked against finite differences.</summary>
public sealed class DetectorNetworkTests
{
    [Theory]
    [InlineData(DetectorKind.Discriminator)]
    [InlineData(DetectorKind.Autoencoder)]
    public void Backward_gives_the_gradient_of_the_loss(DetectorKind kind)
    {
        const int inputs = 12, rows = 5;
        var network = new DetectorNetwork(kind, inputs, [7, 4], seed: 3, threads: 1);
        var random = new Random(5);
        var x = Enumerable.Range(0, rows * inputs).Select(_ => (float)random.NextDouble()).ToArray();
        float[] digit = [1, 0, 1, 1, 0];
        network.EnsureCapacity(rows);
        double Loss()
        {
            network.Forward(x, rows);
            return network.Backward(x, digit, rows) / rows; // the mean, whose gradient Backward computes
        }

        Loss();
        var analytic = network.ParameterBuffers.Select(p => (float[])p.Gradient.Clone()).ToList();
        for (var b = 0; b < analytic.Count; b++)
        {
            var value = network.ParameterBuffers[b].Value;
            foreach (var i in new[] { 0, value.Length / 2, value.Length - 1 })
            {
                var saved = value[i];
                const float h = 1e-3f;
                value[i] = saved + h;
                var plus = Loss();
                value[i] = saved - h;
                var minus = Loss();
                value[i] = saved;
                var numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[b][i]) <= 2e-3 + 0.02 * Math.Abs(numeric),
                    $"{kind} buffer {b}[{i}]: backward {analytic[b][i]}, finite difference {numeric}");
            }
        }
    }

    [Fact]
    public void Scores_are_higher_for_what_each_kind_calls_a_digit()
    {
        var autoencoder = new DetectorNetwork(DetectorKind.Autoencoder, 4, [3], seed: 1, threads: 1);
        var scores = new float[1];
        autoencoder.Score(new float[4], 1, scores);
        Assert.True(scores[0] <= 0, "the autoencoder's score is a negative squared error");

        var discriminator = new DetectorNetwork(DetectorKind.Discriminator, 4, [3], seed: 1, threads: 1);
        discriminator.Score(new float[4], 1, scores);
        Assert.InRange(scores[0], 0f, 1f);
    }

    [Fact]
    public void Stored_layers_that_are_no_detector_are_refused()
    {
        var layers = new DetectorNetwork(DetectorKind.Discriminator, 6, [4], seed: 1).GetParameters();
        Assert.Contains("must use sigmoid", Assert.Throws<ArgumentException>(() => DetectorNetwork.FromParameters(
            [layers[0], layers[1] with { Activation = "relu" }])).Message);
        Assert.Contains("one score", Assert.Throws<ArgumentException>(() => DetectorNetwork.FromParameters(
            [layers[0], new DenseLayerParameters(4, 7, new float[28], new float[7], "sigmoid")])).Message);
    }

    [Fact]
    public void Averaged_discriminators_score_the_mean_of_their_scores()
    {
        var members = new[] { 3, 4, 5 }.Select(seed => new DetectorNetwork(DetectorKind.Discriminator, 6, [4, 2], seed, threads: 1)).ToList();
        var average = DetectorNetwork.Average(members, threads: 1);
        Assert.Equal(DetectorKind.Discriminator, average.Kind);
        Assert.Equal([12, 6], average.Hidden);
        var images = Enumerable.Range(0, 5 * 6).Select(i => (i * 37 % 11) / 10f).ToArray();
        var expected = new float[5];
        var scores = new float[5];
        foreach (var member in members)
        {
            member.Score(images, 5, scores);
            for (var r = 0; r < 5; r++)
            {
                expected[r] += scores[r] / members.Count;
            }
        }
        average.Score(images, 5, scores);
        Assert.All(expected.Zip(scores), pair => Assert.Equal(pair.First, pair.Second, 1e-6f));
        Assert.Throws<ArgumentException>(() => DetectorNetwork.Average([members[0], new DetectorNetwork(DetectorKind.Discriminator, 6, [3], 1)]));
    }
}
