using Microsoft.Extensions.Options;
using MnistService.Api.Feedback;

namespace MnistService.Api.Tests.Feedback;

/// <summary>The ids' memory: what it keeps, for how long, and in how much room.</summary>
public sealed class PredictionMemoryTests
{
    private sealed class Clock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;
        public override long TimestampFrequency => 1000; // milliseconds
        public override long GetTimestamp() => Now;
    }

    private static readonly float[] Input = [.. Enumerable.Range(0, 784).Select(i => i % 256 / 255f)];

    private static PredictionMemory Memory(Clock clock, long bytes = 64 * 1024 * 1024, bool keepOriginals = false) =>
        new(Options.Create(new FeedbackOptions { PredictionMemoryBytes = bytes, PredictionLifetime = TimeSpan.FromMinutes(10), KeepOriginals = keepOriginals }), clock);

    [Fact]
    public void A_reading_is_recalled_by_its_id_as_MNIST_bytes_until_its_lifetime_ends()
    {
        var clock = new Clock();
        var memory = Memory(clock);
        var id = memory.Remember(Input, "3", new float[10], "mnist-mlp", "abc", [1, 2, 3]);

        var reading = memory.Recall(id)!;
        Assert.Equal(Input.Select(v => (byte)MathF.Round(v * 255)), reading.Pixels);
        Assert.Equal(("3", "mnist-mlp", "abc"), (reading.Predicted, reading.Model, reading.ModelSha256));
        Assert.Null(reading.Original); // originals only with Feedback:KeepOriginals
        Assert.NotEqual(id, memory.Remember(Input, "3", new float[10], "mnist-mlp", "abc"));

        clock.Now += 10 * 60 * 1000 - 1;
        Assert.NotNull(memory.Recall(id));
        clock.Now += 1;
        Assert.Null(memory.Recall(id));
        Assert.Null(memory.Recall("not-an-id"));
    }

    [Fact]
    public void When_full_the_oldest_readings_are_forgotten_first()
    {
        var clock = new Clock();
        var memory = Memory(clock, bytes: 65536);
        var ids = Enumerable.Range(0, 200).Select(_ => memory.Remember(Input, "1", new float[10], "m", "h")).ToList();

        Assert.InRange(memory.Bytes, 1, 65536);
        Assert.Null(memory.Recall(ids[0]));
        Assert.NotNull(memory.Recall(ids[^1]));
        var kept = ids.Count(id => memory.Recall(id) is not null);
        Assert.Equal(memory.Count, kept);
        Assert.True(ids.Skip(ids.Count - kept).All(id => memory.Recall(id) is not null), "the kept ones are the newest");
    }

    [Fact]
    public void Originals_are_kept_only_when_configured_with_the_media_type_their_bytes_show()
    {
        var memory = Memory(new Clock(), keepOriginals: true);
        byte[] jpegStart = [0xFF, 0xD8, 0xFF, 0xE0];
        var id = memory.Remember(Input, "1", new float[10], "m", "h", jpegStart);
        Assert.Equal(jpegStart, memory.Recall(id)!.Original);
        Assert.Equal("image/jpeg", memory.Recall(id)!.OriginalType);
    }
}
