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

    /// <summary>
    /// Exports the answers' digits to <c>JOBS/MODEL.feedback/</c> and names them in the job's settings: the preparation
    /// <see cref="JobStore.SubmitAsync"/> runs once the queue has accepted the job.
    /// </summary>
    /// <exception cref="NoAnswersException">No answer has a digit label (422).</exception>
    /// <exception cref="FeedbackUnavailableException">The database cannot be read (503).</exception>
    public static Func<TrainingJob, CancellationToken, Task<TrainingJob>> Export(FeedbackStore store, string jobsDirectory) =>
        async (job, cancellationToken) =>
        {
            var records = await FeedbackService.StoreAsync(() => store.ReadAsync(heldOut: false, cancellationToken));
            var digits = FeedbackImages.ToDigits(records, out _);
            if (digits.Count == 0)
            {
                throw new NoAnswersException();
            }
            var directory = Path.Combine(jobsDirectory, job.ModelName + ".feedback");
            FeedbackImages.Write(directory, digits);
            return job with { Settings = job.Settings with { ExtraData = directory } };
        };
}

/// <summary>422: a job asks to train on people's answers and none with a digit label is stored.</summary>
public sealed class NoAnswersException()
    : Exception($"{JobFeedback.Field} asks to train on people's answers (POST /feedback), but none with a digit label is stored yet.");
