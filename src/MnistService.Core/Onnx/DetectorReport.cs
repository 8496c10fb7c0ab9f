using MnistService.Core.Network;

namespace MnistService.Core.Onnx;

/// <summary>
/// The digit detector a model carries (its <c>digit_score</c> output): how it was trained, the threshold
/// below which an image is answered "not a digit", and how digit scores are spread.
/// </summary>
/// <param name="Method">"discriminator": digit_score = the probability that the image is a digit;
/// "autoencoder": digit_score = -(mean squared reconstruction error).</param>
/// <param name="Hidden">The detector network's hidden widths (inputs → these → 1, or 784 for the autoencoder).</param>
/// <param name="Parameters">Its weights plus biases.</param>
/// <param name="History">The training loss and the validation digits' mean score per epoch.</param>
/// <param name="Threshold">Images scoring below it are not digits; calibrated on the validation digits.</param>
/// <param name="ValidationRejectionTarget">The fraction of validation digits the threshold was set to reject (redrawn like
/// uploads when <paramref name="Calibration"/> says so).</param>
/// <param name="Validation">Percentiles of the validation digits' scores (as calibrated on).</param>
/// <param name="TestRejected">The fraction of the MNIST test digits scoring below the threshold.</param>
/// <param name="Members">How many discriminators of these widths digit_score averages (1 for an autoencoder, and in
/// reports written before there could be more).</param>
/// <param name="Input">What the detector reads: the image, or the classifier's first-layer product (reports written
/// before it could read that say nothing: the image).</param>
/// <param name="Calibration">The validation digits the threshold was set on: "mnist" as they are, or "redrawn" at 56x56
/// with a thinner, the same and a thicker pen each and preprocessed as uploads are (reports written before: "mnist").</param>
public sealed record DetectorReport(
    string Method,
    IReadOnlyList<int> Hidden,
    int Parameters,
    IReadOnlyList<DetectorEpoch> History,
    double Threshold,
    double ValidationRejectionTarget,
    IReadOnlyList<ScorePercentile> Validation,
    double TestRejected,
    int Members = 1,
    DetectorInput Input = DetectorInput.Image,
    string Calibration = DetectorReport.MnistCalibration)
{
    public const string MnistCalibration = "mnist", RedrawnCalibration = "redrawn";
}

/// <summary>One epoch of the detector's training: its loss (cross-entropy, or squared reconstruction error per pixel) and the validation digits' mean score.</summary>
public sealed record DetectorEpoch(int Epoch, double Loss, double ValScore, double Seconds);

/// <summary><paramref name="Percent"/> % of the scores are at most <paramref name="Score"/>.</summary>
public sealed record ScorePercentile(double Percent, double Score)
{
    /// <summary>The percentiles a report keeps: the low tail, where the threshold lies, in detail.</summary>
    public static IReadOnlyList<double> Reported { get; } = [0, 0.1, 0.5, 1, 5, 25, 50, 75, 95, 100];

    /// <summary>The <see cref="Reported"/> percentiles of <paramref name="scores"/> (nearest rank).</summary>
    public static IReadOnlyList<ScorePercentile> Of(ReadOnlySpan<float> scores)
    {
        var sorted = scores.ToArray();
        Array.Sort(sorted);
        return [.. Reported.Select(p => new ScorePercentile(p, At(sorted, p)))];
    }

    /// <summary>The value below which <paramref name="percent"/> % of <paramref name="sorted"/> lie (nearest rank).</summary>
    public static float At(float[] sorted, double percent)
    {
        var index = (int)Math.Ceiling(percent / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
