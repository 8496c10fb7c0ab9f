using System.Text.Json;
using MnistService.Api.Predictions;

namespace MnistService.Api.Tests.Predictions;

/// <summary>The answer's pixels are written with four decimals and read back by a .NET client as written.</summary>
public sealed class PixelArrayConverterTests
{
    [Fact]
    public void An_answer_round_trips_through_the_contract()
    {
        float[] pixels = [.. Enumerable.Range(0, 784).Select(i => i % 256 / 255f)];
        var answer = new PredictionResponse(3, 0.9f, new float[10], "mnist-mlp", new string('a', 64), new NetworkInput(28, 28, pixels), null, null, new string('b', 32));
        var json = JsonSerializer.Serialize(answer, ApiJsonContext.Default.PredictionResponse);
        Assert.Contains("\"pixels\":[0,0.0039,0.0078,", json);
        var read = JsonSerializer.Deserialize(json, ApiJsonContext.Default.PredictionResponse)!;
        Assert.Equal(784, read.Input.Pixels.Length);
        Assert.All(pixels.Zip(read.Input.Pixels), pair => Assert.Equal(pair.First, pair.Second, 0.00005f));
        // And with a client's own options (reflection, no source-generated context).
        var reflected = JsonSerializer.Deserialize<PredictionResponse>(json, JsonSerializerOptions.Web)!;
        Assert.Equal(read.Input.Pixels, reflected.Input.Pixels);
    }
}
