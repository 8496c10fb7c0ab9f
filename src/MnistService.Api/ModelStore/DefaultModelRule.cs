using MnistService.Api.Feedback;
using MnistService.Core.Feedback;
using MnistService.Core.Training;

namespace MnistService.Api.ModelStore;

/// <summary>
/// Whether a loaded model may become the default (<c>POST /models/{name}/default</c>): the one place that decides.
/// Besides a file that must load, a model that would replace the current default passes the promotion gate
/// (<see cref="PromotionGate"/>, as <c>mnist-train promote</c> does): at most 0.1 points below it on the MNIST test set
/// and better on the held-out fifth of people's answers; the comparison is recorded in the candidate's report.
/// </summary>
public static class DefaultModelRule
{
    /// <returns>Null when <paramref name="candidate"/> may become the default, else why not (with the figures).</returns>
    /// <exception cref="FeedbackUnavailableException">The feedback database cannot be read (503).</exception>
    public static async Task<string?> RefusalAsync(LoadedModel candidate, ModelSnapshot snapshot, FeedbackStore store, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        // The version serving is fine, but the file on disk now is broken: a restart or another replica would
        // load no model under this name, so the choice would leave them without a default.
        if (snapshot.Failures.TryGetValue(candidate.Name, out var failure))
        {
            return $"The file of '{candidate.Name}' on disk does not load ({failure.Error}); only the earlier version is serving. Fix the file first.";
        }
        // Nothing to compare with: it is the default already, or no default is loaded, or the default carries no report.
        if (candidate.Name == snapshot.DefaultName || snapshot.Models.GetValueOrDefault(snapshot.DefaultName) is not { Report: not null } current)
        {
            return null;
        }
        if (candidate.Report is null)
        {
            return $"'{candidate.Name}' carries no report, so its MNIST test accuracy cannot be compared with the default '{current.Name}''s.";
        }
        try
        {
            var comparison = await FeedbackService.StoreAsync(() =>
                PromotionGate.CompareAndRecordAsync(candidate.Path, current.Path, store, now, cancellationToken));
            return comparison.Promoted ? null : comparison.Reason;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return $"The promotion gate cannot compare '{candidate.Name}' with '{current.Name}': {e.Message}";
        }
    }
}
