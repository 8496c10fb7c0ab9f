namespace MnistService.Api.Predictions;

/// <summary>
/// Reads the most common JSON body, <c>{"pixels": [784 integers]}</c>, in one pass over its bytes. The
/// general reader spends most of a JSON prediction's parsing time on its per-token state machine. Only a
/// strict subset of JSON is taken here: one member named exactly <c>pixels</c>, integers 0-999 written
/// without sign, fraction, exponent or leading zero, whitespace anywhere JSON allows it. Anything else
/// (other members, decimals, comments, broken JSON) returns false and goes to the general reader,
/// which then also words the error. For what this accepts, both readers give the same numbers.
/// </summary>
public static class PixelsJsonFastPath
{
    private const int MaxValues = 28 * 28;

    public static bool TryRead(ReadOnlySpan<byte> json, out float[]? pixels)
    {
        pixels = null;
        var i = 0;
        if (!Expect(json, ref i, (byte)'{') || !Expect(json, ref i, "\"pixels\""u8) || !Expect(json, ref i, (byte)':')
            || !Expect(json, ref i, (byte)'['))
        {
            return false;
        }
        Span<float> values = stackalloc float[MaxValues];
        var count = 0;
        while (true)
        {
            SkipWhitespace(json, ref i);
            if (i >= json.Length || count == MaxValues || !TryReadInteger(json, ref i, out var value))
            {
                return false; // more values than an image has: the general path says how many are wrong
            }
            values[count++] = value;
            SkipWhitespace(json, ref i);
            if (i >= json.Length)
            {
                return false;
            }
            if (json[i] == (byte)']')
            {
                i++;
                break;
            }
            if (json[i++] != (byte)',')
            {
                return false;
            }
        }
        if (!Expect(json, ref i, (byte)'}'))
        {
            return false;
        }
        SkipWhitespace(json, ref i);
        if (i != json.Length)
        {
            return false;
        }
        pixels = values[..count].ToArray();
        return true;
    }

    /// <summary>0, or 1-999 without a leading zero, not followed by anything that would make it another number.</summary>
    private static bool TryReadInteger(ReadOnlySpan<byte> json, ref int i, out int value)
    {
        value = 0;
        var start = i;
        while (i < json.Length && (uint)(json[i] - '0') <= 9)
        {
            value = value * 10 + (json[i] - '0');
            i++;
        }
        var digits = i - start;
        if (digits == 0 || digits > 3 || (digits > 1 && json[start] == (byte)'0'))
        {
            return false;
        }
        return i >= json.Length || json[i] is not ((byte)'.' or (byte)'e' or (byte)'E');
    }

    private static bool Expect(ReadOnlySpan<byte> json, ref int i, byte token) => Expect(json, ref i, [token]);

    private static bool Expect(ReadOnlySpan<byte> json, ref int i, ReadOnlySpan<byte> token)
    {
        SkipWhitespace(json, ref i);
        if (!json[i..].StartsWith(token))
        {
            return false;
        }
        i += token.Length;
        return true;
    }

    private static void SkipWhitespace(ReadOnlySpan<byte> json, ref int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }
    }
}
