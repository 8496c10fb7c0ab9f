using System.Text.Json;
using System.Text.Json.Nodes;
using MnistService.Api.Feedback;
using MnistService.Core.Feedback;
using MnistService.Core.Training;
using MnistService.Core.Training.Jobs;

namespace MnistService.Api.Jobs;

/// <summary>
/// A job posted with <c>"includeFeedback": true</c> trains on people's answers too: the service exports the answers
/// (all but the held-out fifth, which the promotion gate judges on) beside the job file as IDX files and names them in
/// the job's <see cref="TrainingSettings.ExtraData"/>. A client never names a server directory itself.
/// </summary>
public static class JobFeedback
{
    public const string Field = "includeFeedback";

    /// <summary>Removes <see cref="Field"/> from <paramref name="body"/>; true when it asks for people's answers.</summary>
    public static bool Take(ref JsonElement body, out JobKeyError? error)
    {
        error = null;
        if (!body.TryGetProperty(Field, out var value))
        {
            return false;
        }
        var rest = JsonObject.Create(body)!;
        rest.Remove(Field);
        body = JsonSerializer.SerializeToElement(rest);
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }
        error = new JobKeyError(Field, $"{Field} must be true or false, got {TrainingSetting.Show(value)}.");
        return false;
    }

    /// <summary>A client of the HTTP API may not choose a directory on the server.</summary>
    public static SettingError? ServerPathRefusal(TrainingSettings settings) => settings.ExtraData is null ? null
        : new SettingError(TrainingSetting.ExtraData, $"names a directory on the server, which a client may not choose: send \"{Field}\": true to train on people's answers.");

    /// <summary>The answers' digits written to <c>JOBS/MODEL.feedback/</c>; null when no answer has a digit label.</summary>
    /// <exception cref="FeedbackUnavailableException">The database cannot be read (503).</exception>
    public static async Task<string?> ExportAsync(FeedbackStore store, string jobsDirectory, string model, CancellationToken cancellationToken)
    {
        var records = await FeedbackService.StoreAsync(() => store.ReadAsync(heldOut: false, cancellationToken));
        var digits = FeedbackImages.ToDigits(records, out _);
        if (digits.Count == 0)
        {
            return null;
        }
        var directory = Path.Combine(jobsDirectory, model + ".feedback");
        FeedbackImages.Write(directory, digits);
        return directory;
    }
}
