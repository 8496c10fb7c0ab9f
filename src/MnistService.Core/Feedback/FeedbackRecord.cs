using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MnistService.Core.Feedback;

/// <summary>
/// One answer from a person about one reading: what the network saw and read, and what it should have read.
/// A digit has one piece; a number (<c>/predict/sequence</c>) one piece per digit read.
/// </summary>
/// <param name="Id">The prediction's id (or a fresh one for an image posted with its label).</param>
/// <param name="CreatedAt">When the answer was stored.</param>
/// <param name="Model">The model that read the image.</param>
/// <param name="ModelSha256">SHA-256 of that model's file.</param>
/// <param name="Label">The right digits, as the person gave them ("7", "01512345678").</param>
/// <param name="Predicted">The digits the model read.</param>
/// <param name="Pixels">The network's 28x28 inputs, one after another, as MNIST bytes (0 background, 255 ink).</param>
/// <param name="Probabilities">Ten probabilities per piece, in the order of <paramref name="Pixels"/>.</param>
/// <param name="Original">The uploaded image, kept only when the service is configured to (Feedback:KeepOriginals).</param>
/// <param name="OriginalType">Its media type, when kept.</param>
public sealed record FeedbackRecord(
    string Id, DateTimeOffset CreatedAt, string Model, string ModelSha256, string Label, string Predicted,
    byte[] Pixels, float[] Probabilities, byte[]? Original = null, string? OriginalType = null)
{
    public const int PieceSize = 28 * 28;
    public const int Classes = 10;
    /// <summary>How many folds the answers are dealt into; fold 0 is the held-out fifth.</summary>
    public const int Folds = 5;
    public const int HeldOutFold = 0;

    public int Pieces => Pixels.Length / PieceSize;

    /// <summary>The model read exactly what the person says is there: a confirmation, else a correction.</summary>
    public bool Correct => Label == Predicted;

    /// <summary>
    /// The fold of this answer, from its id alone, so it never changes and a held-out answer is never trained on
    /// whichever process exports or evaluates: the first bytes of SHA-256(id), modulo <see cref="Folds"/>.
    /// </summary>
    public int Fold => FoldOf(Id);

    public static int FoldOf(string id) =>
        (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(id)), 0) % Folds);

    /// <summary>MNIST bytes from network input in [0,1].</summary>
    public static byte[] ToBytes(ReadOnlySpan<float> input)
    {
        var bytes = new byte[input.Length];
        for (var i = 0; i < input.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp(MathF.Round(input[i] * 255f), 0f, 255f);
        }
        return bytes;
    }

    /// <summary>Probabilities as stored: little-endian float32s.</summary>
    internal static byte[] Encode(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    internal static float[] Decode(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}

/// <summary>How often a model read <see cref="Label"/> as <see cref="Predicted"/> (whole labels, e.g. "7" and "1").</summary>
public sealed record LabelCount(string Label, string Predicted, long Count);

/// <summary>Answers per model and how many of them confirmed the reading.</summary>
public sealed record ModelFeedbackTotals(string Model, long Confirmed, long Total)
{
    public double Accuracy => Total == 0 ? 0 : (double)Confirmed / Total;
}
