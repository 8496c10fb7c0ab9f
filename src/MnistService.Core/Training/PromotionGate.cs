using MnistService.Core.Data;
using MnistService.Core.Feedback;
using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Core.Training;

/// <summary>A model the gate compares: its name, its network and its MNIST test accuracy (from its own report).</summary>
public sealed record GateModel(string Name, Mlp Network, double MnistAccuracy)
{
    /// <summary>The model in an ONNX file written by mnist-train, named by the file.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="FormatException">It is not one of our models.</exception>
    /// <exception cref="InvalidDataException">Its layers are not a network this code runs.</exception>
    public static GateModel FromFile(string path)
    {
        var file = OnnxModelReader.Read(path);
        try
        {
            return new GateModel(Path.GetFileNameWithoutExtension(path), file.Network(), file.Report.Test.Accuracy);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)} cannot be run here: {e.Message}", e);
        }
    }
}

/// <summary>What the gate compared and what it decided, as the report and the answers show it.</summary>
/// <param name="Candidate">The model that would become the default.</param>
/// <param name="Current">The default it would replace.</param>
/// <param name="CandidateMnistAccuracy">The candidate's accuracy on the MNIST test set (its report's).</param>
/// <param name="CurrentMnistAccuracy">The current default's.</param>
/// <param name="FeedbackDigits">Digits in the held-out fifth of people's answers that both were measured on.</param>
/// <param name="CandidateFeedbackAccuracy">The candidate's accuracy on them; null when there were none.</param>
/// <param name="CurrentFeedbackAccuracy">The current default's; null when there were none.</param>
/// <param name="Promoted">Whether the gate let the candidate through.</param>
/// <param name="Reason">Why, with the figures.</param>
/// <param name="ComparedAt">When the comparison was made.</param>
public sealed record PromotionComparison(
    string Candidate, string Current, double CandidateMnistAccuracy, double CurrentMnistAccuracy, int FeedbackDigits,
    double? CandidateFeedbackAccuracy, double? CurrentFeedbackAccuracy, bool Promoted, string Reason, DateTimeOffset ComparedAt);

/// <summary>
/// Whether a retrained model may take over as the default. It is refused when its MNIST test accuracy is more than
/// <see cref="MaxMnistDrop"/> (0.1 points) below the current default's, or when it is not better than the default on
/// the held-out fifth of people's answers (which training never sees: <see cref="Feedback.FeedbackRecord.Fold"/>).
/// Without held-out answers only the MNIST rule can apply, and the comparison says so.
/// </summary>
public static class PromotionGate
{
    /// <summary>0.1 percentage points of MNIST test accuracy.</summary>
    public const double MaxMnistDrop = 0.001;

    /// <param name="heldOut">The held-out answers as labelled digits (<see cref="Feedback.FeedbackImages.ToDigits"/>).</param>
    public static PromotionComparison Compare(GateModel candidate, GateModel current, MnistSet heldOut, DateTimeOffset now)
    {
        double? candidateField = null, currentField = null;
        if (heldOut.Count > 0)
        {
            candidateField = Evaluator.Evaluate(candidate.Network, heldOut.Images, heldOut.Labels).Accuracy;
            currentField = Evaluator.Evaluate(current.Network, heldOut.Images, heldOut.Labels).Accuracy;
        }
        var drop = current.MnistAccuracy - candidate.MnistAccuracy;
        var mnist = $"MNIST test accuracy {Percent(candidate.MnistAccuracy)} against {Percent(current.MnistAccuracy)} for {current.Name}";
        var field = heldOut.Count == 0
            ? "no held-out answers to compare on, so only the MNIST rule applies"
            : $"{Percent(candidateField!.Value)} against {Percent(currentField!.Value)} on the {heldOut.Count:N0} held-out digits people labelled";
        var (promoted, reason) = (drop > MaxMnistDrop + 1e-12, heldOut.Count > 0 && candidateField <= currentField) switch
        {
            (true, _) => (false, $"Refused: {mnist}, {Points(drop)} lower (at most 0.1 allowed); {field}."),
            (_, true) => (false, $"Refused: not better than {current.Name} on people's answers: {field}; {mnist}."),
            _ => (true, $"Promoted: {mnist}; {field}."),
        };
        return new PromotionComparison(candidate.Name, current.Name, candidate.MnistAccuracy, current.MnistAccuracy, heldOut.Count,
            candidateField, currentField, promoted, reason, now);
    }

    /// <summary>
    /// The whole gate, as <c>mnist-train promote</c> and the service's <c>POST /models/{name}/default</c> run it: the model
    /// files compared on MNIST (their reports) and on the held-out answers in <paramref name="store"/>, and the comparison
    /// recorded in the candidate's report (its file rewritten atomically), whatever the decision.
    /// </summary>
    /// <exception cref="FeedbackStoreUnavailableException">The feedback database cannot be read.</exception>
    /// <exception cref="FormatException">A file is not one of our models.</exception>
    /// <exception cref="InvalidDataException">A model's layers are not a network this code runs.</exception>
    public static async Task<PromotionComparison> CompareAndRecordAsync(string candidatePath, string currentPath, FeedbackStore store,
        DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var candidate = GateModel.FromFile(candidatePath);
        var current = GateModel.FromFile(currentPath);
        var heldOut = FeedbackImages.ToDigits(await store.ReadAsync(heldOut: true, cancellationToken), out _);
        var comparison = Compare(candidate, current, heldOut, now);
        ModelReportRewriter.Rewrite(candidatePath, report => report with { Promotion = comparison });
        return comparison;
    }

    private static string Percent(double accuracy) => (accuracy * 100).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " %";

    private static string Points(double drop) => (drop * 100).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " points";
}
