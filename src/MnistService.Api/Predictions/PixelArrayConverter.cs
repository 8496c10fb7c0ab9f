using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MnistService.Api.Predictions;

/// <summary>
/// JSON for the 784 pixel values, the largest part of a prediction's request and answer. Reading takes
/// integers (the common 0-255 form) by a fast path and any other finite number as usual. Writing (values
/// in [0,1]) uses four decimals built by integer arithmetic and written as one raw value: the general
/// float formatter would cost twice the inference, and four decimals are finer than an 8-bit image's 1/255 steps.
/// </summary>
public sealed class PixelArrayConverter : JsonConverter<float[]>
{
    public override float[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Expected an array of numbers.");
        }
        var values = new List<float>(784);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw new JsonException($"Expected a number, found {reader.TokenType}.");
            }
            var text = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
            if (Utf8Parser.TryParse(text, out int integer, out var used) && used == text.Length)
            {
                values.Add(integer);
            }
            else if (reader.TryGetSingle(out var number) && float.IsFinite(number))
            {
                values.Add(number);
            }
            else
            {
                throw new JsonException($"The number {System.Text.Encoding.UTF8.GetString(text)} is out of range.");
            }
        }
        return [.. values];
    }

    public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(2 + value.Length * 7);
        try
        {
            var length = 0;
            buffer[length++] = (byte)'[';
            for (var i = 0; i < value.Length; i++)
            {
                if (i > 0)
                {
                    buffer[length++] = (byte)',';
                }
                var scaled = (int)MathF.Round(Math.Clamp(value[i], 0f, 1f) * 10_000f);
                if (scaled == 10_000)
                {
                    buffer[length++] = (byte)'1';
                }
                else if (scaled == 0)
                {
                    buffer[length++] = (byte)'0';
                }
                else
                {
                    // "0.dddd" without trailing zeros
                    buffer[length] = (byte)'0';
                    buffer[length + 1] = (byte)'.';
                    for (var d = 5; d >= 2; d--)
                    {
                        buffer[length + d] = (byte)('0' + scaled % 10);
                        scaled /= 10;
                    }
                    length += 6;
                    while (buffer[length - 1] == (byte)'0')
                    {
                        length--;
                    }
                }
            }
            buffer[length++] = (byte)']';
            writer.WriteRawValue(buffer.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
