using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Tests.Data;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Detector;

/// <summary>
/// A discriminator trained on a few hundred digits already scores generated non-digits below held-out digits, and its
/// threshold rejects the calibrated fraction of the validation digits.
/// </summary>
public sealed class DetectorTrainerTests
{
    [Fact]
    public void A_small_discriminator_tells_digits_from_generated_non_digits()
    {
        const int count = 1200, trainCount = 1000, pixels = 784;
        var images = TestMnist.Real.Train.Images.AsSpan(0, count * pixels).ToArray();
        var settings = new TrainingSettings { DetectorHidden = [32], DetectorEpochs = 4, DetectorMembers = 2, Threads = 1 };
        var trained = DetectorTrainer.Train(images, trainCount, TestMnist.Real.Test.Images.AsSpan(0, 500 * pixels).ToArray(), settings);

        Assert.Equal("discriminator", trained.Report.Method);
        Assert.Equal(8, trained.Report.History.Count); // two discriminators of 4 epochs, one after the other
        Assert.Equal([64], trained.Network.Hidden);
        var digits = new float[count - trainCount];
        trained.Network.Score(images.AsSpan(trainCount * pixels), digits.Length, digits);
        Assert.InRange(digits.Count(s => s < trained.Report.Threshold), 0, 2); // 0.5 % of 200
        var nonDigits = new float[200 * pixels];
        new NonDigitSynthesizer(seed: 77).NonDigits(nonDigits, 200, images);
        var scores = new float[200];
        trained.Network.Score(nonDigits, 200, scores);
        Assert.True(scores.Average() < digits.Average() - 0.3, $"non-digits average {scores.Average():F3}, digits {digits.Average():F3}");
    }

    [Fact]
    public void Generated_non_digits_are_network_input_and_repeat_with_the_seed()
    {
        var digits = TestMnist.Real.Train.Images.AsSpan(0, 50 * 784).ToArray();
        var a = new float[20 * 784];
        var b = new float[20 * 784];
        new NonDigitSynthesizer(seed: 5).NonDigits(a, 20, digits);
        new NonDigitSynthesizer(seed: 5).NonDigits(b, 20, digits);
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.InRange(v, 0f, 1f));
        Assert.All(Enumerable.Range(0, 20), i => Assert.True(a.AsSpan(i * 784, 784).ToArray().Sum() > 5, $"image {i} holds ink"));
    }
}
