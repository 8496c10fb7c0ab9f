using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using MnistService.Core.Feedback;

namespace MnistService.Api.Feedback;

/// <summary>
/// What the service remembers of a reading until someone answers it: the network's input, what it read, its
/// probabilities, the model. Kept per id for <see cref="FeedbackOptions.PredictionLifetime"/>, in at most
/// <see cref="FeedbackOptions.PredictionMemoryBytes"/>; when full, the oldest are forgotten first.
/// </summary>
/// <param name="Pixels">The network's 28x28 inputs, one per digit read, as MNIST bytes.</param>
/// <param name="Predicted">The digits read, e.g. "7" or "0151".</param>
/// <param name="Probabilities">Ten per digit read.</param>
/// <param name="Original">The upload, only with <see cref="FeedbackOptions.KeepOriginals"/>.</param>
public sealed record RememberedPrediction(byte[] Pixels, string Predicted, float[] Probabilities, string Model, string ModelSha256,
    byte[]? Original, string? OriginalType)
{
    /// <summary>Bytes it holds, with a fixed allowance for the objects and strings around them.</summary>
    public long Size => Pixels.Length + Probabilities.Length * sizeof(float) + (Original?.Length ?? 0) + 256;
}

/// <summary>
/// Issues prediction ids and remembers their readings (<see cref="RememberedPrediction"/>). Every reading endpoint
/// calls <see cref="Remember"/> with what it read and answers with the id; <c>POST /feedback</c> calls
/// <see cref="Recall"/>.
/// </summary>
public sealed class PredictionMemory(IOptions<FeedbackOptions> options, TimeProvider clock)
{
    private readonly FeedbackOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, (RememberedPrediction Prediction, long Expires)> _predictions = new(StringComparer.Ordinal);
    // Ids in the order they were issued; every entry expires after the one before it, so the oldest is always first.
    private readonly Queue<string> _order = new();
    private readonly Lock _trim = new();
    private long _bytes;

    public int Count => _predictions.Count;
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Remembers a reading and returns its new id. <paramref name="inputs"/> are the network's inputs in [0,1] (784 per
    /// digit read), <paramref name="probabilities"/> ten per digit; <paramref name="original"/> is copied only when
    /// originals are kept (with its media type, sniffed from its bytes).
    /// </summary>
    public string Remember(ReadOnlySpan<float> inputs, string predicted, float[] probabilities, string model, string modelSha256,
        ReadOnlySpan<byte> original = default)
    {
        var keep = _options.KeepOriginals && !original.IsEmpty;
        var prediction = new RememberedPrediction(FeedbackRecord.ToBytes(inputs), predicted, probabilities, model, modelSha256,
            keep ? original.ToArray() : null, keep ? FeedbackService.OriginalType(original) : null);
        var id = NewId();
        var now = clock.GetTimestamp();
        var expires = now + (long)(_options.PredictionLifetime.TotalSeconds * clock.TimestampFrequency);
        lock (_trim)
        {
            _predictions[id] = (prediction, expires);
            _order.Enqueue(id);
            _bytes += prediction.Size;
            Trim(now);
        }
        return id;
    }

    /// <summary>The reading of <paramref name="id"/>, or null once it has been forgotten (expired, or pushed out).</summary>
    public RememberedPrediction? Recall(string id) =>
        _predictions.TryGetValue(id, out var entry) && entry.Expires > clock.GetTimestamp() ? entry.Prediction : null;

    private void Trim(long now)
    {
        while (_order.TryPeek(out var oldest)
               && (_bytes > _options.PredictionMemoryBytes || !_predictions.TryGetValue(oldest, out var entry) || entry.Expires <= now))
        {
            _order.Dequeue();
            if (_predictions.TryRemove(oldest, out var removed))
            {
                _bytes -= removed.Prediction.Size;
            }
        }
    }

    /// <summary>128 random bits as 32 hex digits: not guessable, so an id is as good as a receipt.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
