namespace MnistService.Api.ModelStore;

/// <summary>
/// Whether a loaded model may become the default (<c>POST /models/{name}/default</c>): the one place that
/// decides, so that a stricter rule (a comparison against the current default) changes only this method.
/// </summary>
public static class DefaultModelRule
{
    /// <returns>Null when <paramref name="candidate"/> may become the default, else why not.</returns>
    public static string? Refusal(LoadedModel candidate, ModelSnapshot snapshot)
    {
        // The version serving is fine, but the file on disk now is broken: a restart or another replica would
        // load no model under this name, so the choice would leave them without a default.
        if (snapshot.Failures.TryGetValue(candidate.Name, out var failure))
        {
            return $"The file of '{candidate.Name}' on disk does not load ({failure.Error}); only the earlier version is serving. Fix the file first.";
        }
        return null;
    }
}
