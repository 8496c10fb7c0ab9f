using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace MnistService.Api.Predictions;

/// <summary>
/// Writes the 784 pixel values of an answer (in [0,1]) with four decimals, built by integer arithmetic
/// and written as one raw value: the general float formatter would cost twice the inference, and four
/// decimals are finer than an 8-bit image's 1/255 steps. Reading is the library's own.
/// </summary>
public sealed class PixelArrayConverter : JsonConverter<float[]>
{
    public override float[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<float[]>)options.GetTypeInfo(typeof(float[])));

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
