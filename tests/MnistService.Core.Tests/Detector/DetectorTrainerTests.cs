using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Tests.Data;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Detector;

/// <summary>
/// A discriminator trained on a few hundred digits, reading a small classifier's first dense layer, already scores generated
/// non-digits below held-out digits redrawn like uploads, and its threshold rejects the calibrated fraction of those.
/// </summary>
public sealed class DetectorTrainerTests
{
    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 6 })] // a convolutional classifier: the discriminator reads its first dense product too
    public void A_small_discriminator_tells_digits_from_generated_non_digits(int[] convolutions)
    {
        const int count = 1200, trainCount = 1000, pixels = 784;
        var images = TestMnist.Real.Train.Images.AsSpan(0, count * pixels).ToArray();
        var settings = new TrainingSettings { Hidden = [48, 24], Convolutions = convolutions, Epochs = 5, DetectorHidden = [32], DetectorEpochs = 30, DetectorMembers = 2, Threads = 1 };
        var classifier = Trainer.Train(images, TestMnist.Real.Train.Labels.AsSpan(0, count).ToArray(), settings).Model;
        var trained = DetectorTrainer.Train(images, trainCount, TestMnist.Real.Test.Images.AsSpan(0, 500 * pixels).ToArray(), settings, classifier);

        Assert.Equal("discriminator", trained.Report.Method);
        Assert.Equal((DetectorInput.Classifier, DetectorReport.RedrawnCalibration), (trained.Report.Input, trained.Report.Calibration));
        Assert.Equal(60, trained.Report.History.Count); // two discriminators of 30 epochs, one after the other
        Assert.Equal([64], trained.Network.Hidden);
        Assert.Equal(48, trained.Network.Inputs); // the classifier's first dense layer, not the 784 pixels
        var detector = new DigitDetector(trained.Network, DetectorInput.Classifier, classifier);
        var calibration = DetectorTrainer.CalibrationDigits(images.AsSpan(trainCount * pixels));
        var digits = new float[3 * (count - trainCount)];
        detector.Score(calibration, digits.Length, digits);
        Assert.InRange(digits.Count(s => s < trained.Report.Threshold), 0, 3); // 0.5 % of the 200 validation digits, each redrawn with three pens
        var nonDigits = new float[200 * pixels];
        new NonDigitSynthesizer(seed: 77).NonDigits(nonDigits, 200, images);
        var scores = new float[200];
        detector.Score(nonDigits, 200, scores);
        // The chance that a held-out digit outscores a generated non-digit (the area under the ROC curve): 0.5 untrained,
        // about 0.9 with this little training.
        var outscored = digits.Sum(d => scores.Count(s => s < d)) / (double)(digits.Length * scores.Length);
        Assert.True(outscored > 0.85, $"a digit outscores a non-digit {outscored:P1} of the time (non-digits average {scores.Average():F3}, digits {digits.Average():F3})");
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
