using MnistService.Core.Imaging;
using MnistService.Core.Training;

namespace MnistService.Core.Reading;

/// <summary>The digits of the split read again where the classifier was unsure.</summary>
public static partial class NumberReader
{
    /// <summary>
    /// A digit read with less confidence than this is read again (<see cref="SecondLook"/>). A clear digit reads at
    /// about 0.93 (the classifier was trained with label smoothing); the digits read wrong mostly under 0.5.
    /// </summary>
    public const float SecondLookBelow = 0.8f;

    /// <summary>The second look's placements of a piece's input: a pixel right, left, down and up.</summary>
    private static readonly (int X, int Y)[] SecondLookShifts = [(1, 0), (-1, 0), (0, 1), (0, -1)];

    /// <summary>
    /// Each digit that is whole glyphs and read with less confidence than <see cref="SecondLookBelow"/> classified
    /// again at four placements of its input, a pixel each way (all in one batch), and its probabilities the mean of
    /// the five readings: a digit on the classifier's border between two readings is read by where most of its
    /// neighbourhood lies. A piece cut inside a glyph is not looked at again: the split already chose among its
    /// readings reaching past the cut, and on the validation seeds a second look at those read touching numbers no
    /// better. The input and the digit score stay those of the piece as cut.
    /// </summary>
    private static ReadDigit[] SecondLook(ReadDigit[] digits, bool[] wholeGlyphs, IDigitClassifier classifier)
    {
        var unsure = Enumerable.Range(0, digits.Length).Where(i => digits[i].Confidence < SecondLookBelow && wholeGlyphs[i]).ToArray();
        if (unsure.Length == 0)
        {
            return digits;
        }
        var placements = SecondLookShifts.Length;
        var count = unsure.Length * placements;
        var inputs = new float[count * InputSize];
        for (var u = 0; u < unsure.Length; u++)
        {
            for (var s = 0; s < placements; s++)
            {
                Shift(digits[unsure[u]].Input, SecondLookShifts[s], inputs.AsSpan((u * placements + s) * InputSize, InputSize));
            }
        }
        var probabilities = new float[count * 10];
        classifier.Classify(inputs, count, probabilities, new float[count]);
        var looked = (ReadDigit[])digits.Clone();
        for (var u = 0; u < unsure.Length; u++)
        {
            var digit = digits[unsure[u]];
            var mean = digit.Probabilities.ToArray();
            for (var s = 0; s < placements; s++)
            {
                var reading = probabilities.AsSpan((u * placements + s) * 10, 10);
                for (var d = 0; d < mean.Length; d++)
                {
                    mean[d] += reading[d];
                }
            }
            for (var d = 0; d < mean.Length; d++)
            {
                mean[d] /= placements + 1;
            }
            var best = Trainer.ArgMax(mean);
            looked[unsure[u]] = digit with { Digit = best, Confidence = mean[best], Probabilities = mean };
        }
        return looked;
    }

    /// <summary>The 28x28 <paramref name="input"/> moved by <paramref name="shift"/> pixels into <paramref name="output"/>, black where it came from outside.</summary>
    private static void Shift(ReadOnlySpan<float> input, (int X, int Y) shift, Span<float> output)
    {
        const int Side = MnistPreprocessor.Side;
        output.Clear();
        for (var y = Math.Max(0, shift.Y); y < Math.Min(Side, Side + shift.Y); y++)
        {
            var (from, to) = (Math.Max(0, -shift.X), Math.Min(Side, Side - shift.X));
            input.Slice((y - shift.Y) * Side + from, to - from).CopyTo(output.Slice(y * Side + from + shift.X, to - from));
        }
    }
}
