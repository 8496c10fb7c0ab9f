using System.Diagnostics;
using System.Runtime.InteropServices;
using MnistService.Core.Imaging;
using SixLabors.ImageSharp.Formats.Png;
using Xunit.Abstractions;

namespace MnistService.Core.Tests.Imaging;

/// <summary>
/// Thousands of mutated and truncated PNG, JPEG, GIF, BMP, WebP and TIFF files through the decoder and the
/// preprocessing, each on a CPU-time bound: every input decodes or is refused with an ImageRejectedException (never
/// another exception), within <see cref="CpuPerInput"/> of its thread's CPU time. Inputs are a pure function of
/// (seed, index), so a failure names one that can be replayed. RELIABILITY_DECODER_FUZZ_INPUTS and
/// RELIABILITY_DECODER_FUZZ_SEED make the long run (tests/reliability/run-long.sh decoder).
/// </summary>
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    /// <summary>
    /// The bound is set by the largest image the limits admit: a mutated header can make a few hundred bytes claim
    /// 4096x4096, and decoding that many pixels of nothing takes a WebP about 250 ms here. What the structure checks
    /// stop (repeated JPEG scans, countless GIF frames, interlaced data ImageSharp loops on) costs seconds to forever.
    /// </summary>
    private static readonly TimeSpan CpuPerInput = TimeSpan.FromMilliseconds(500);
    private static readonly ImageDecoder Decoder = new(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));

    [Fact]
    public void Mutated_images_decode_or_are_refused_each_within_its_CPU_bound()
    {
        var count = ReliabilitySettings.Int("RELIABILITY_DECODER_FUZZ_INPUTS", 20_000);
        var seed = ReliabilitySettings.Int("RELIABILITY_DECODER_FUZZ_SEED", 20261127);
        var sources = Sources();
        var outcomes = new Dictionary<string, int>();
        var failures = new List<string>();
        var worst = (Cpu: TimeSpan.Zero, Input: "");
        var current = -1;
        var clock = Stopwatch.StartNew();
        Exception? crash = null;

        // The inputs run on a thread of their own while this one watches: an input that never returns fails the test
        // with its name instead of hanging the run.
        var worker = new Thread(() =>
        {
            try
            {
                for (var index = 0; index < count; index++)
                {
                    Volatile.Write(ref current, index);
                    var (name, data) = Mutate(sources, seed, index);
                    var before = ThreadCpu.Now();
                    var outcome = Run(data, out var unexpected);
                    var cpu = ThreadCpu.Now() - before;
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                    if (cpu > worst.Cpu)
                    {
                        worst = (cpu, $"#{index} {name} ({data.Length:N0} bytes)");
                    }
                    if (unexpected is not null && failures.Count < 20)
                    {
                        failures.Add($"#{index} {name}: {unexpected.GetType().Name}: {unexpected.Message}\n{unexpected.StackTrace}");
                    }
                    if (cpu > CpuPerInput && failures.Count < 20)
                    {
                        failures.Add($"#{index} {name} ({data.Length:N0} bytes) took {cpu.TotalMilliseconds:0} ms of CPU");
                    }
                }
            }
            catch (Exception e)
            {
                crash = e;
            }
        }) { IsBackground = true, Name = "decoder fuzz" };
        worker.Start();
        var seen = -1;
        var since = Stopwatch.StartNew();
        while (!worker.Join(100))
        {
            var now = Volatile.Read(ref current);
            if (now != seen)
            {
                (seen, since) = (now, Stopwatch.StartNew());
            }
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(20), $"input #{now} ({Mutate(sources, seed, now).Name}) has not returned for 20 s");
        }
        clock.Stop();

        output.WriteLine($"{count:N0} inputs (seed {seed}) from {sources.Length} sources in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine("Outcomes: " + string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value:N0}")));
        output.WriteLine($"Worst CPU per input: {worst.Cpu.TotalMilliseconds:0.0} ms, {worst.Input}");
        ReliabilitySettings.Record("decoder-fuzz", new
        {
            inputs = count, seed, sources = sources.Length, seconds = clock.Elapsed.TotalSeconds, outcomes,
            worstCpuMilliseconds = worst.Cpu.TotalMilliseconds, worstInput = worst.Input,
        });

        Assert.Null(crash);
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.Equal(count, outcomes.Values.Sum());
        Assert.True(outcomes.GetValueOrDefault("decoded") > 0, "no input decoded");
        Assert.True(outcomes.GetValueOrDefault("Unreadable") > 0, "no input was refused as unreadable");
    }

    /// <summary>"decoded", or the rejection's reason; <paramref name="unexpected"/> is any other exception.</summary>
    private static string Run(byte[] data, out Exception? unexpected)
    {
        unexpected = null;
        try
        {
            using var image = Decoder.Decode(data, out _);
            var input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
            MnistPreprocessor.Process(image, input);
            return "decoded";
        }
        catch (ImageRejectedException e)
        {
            return e.Reason.ToString();
        }
        catch (Exception e)
        {
            unexpected = e;
            return "other exception";
        }
    }

    /// <summary>MNIST digits in every format and in the PNG encodings the decoder treats apart, and the hostile files.</summary>
    private static (string Name, byte[] Data)[] Sources()
    {
        var sources = new List<(string, byte[])>();
        var formats = TestImages.AllFormats().ToArray();
        for (var i = 0; i < formats.Length; i++)
        {
            sources.Add((formats[i].ContentType, TestImages.BlackOnWhite(MnistTestSet.Images[i], formats[i].Encoder, scale: 2)));
        }
        PngEncoder[] pngs =
        [
            new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8, InterlaceMethod = PngInterlaceMode.Adam7 },
            new() { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit16, InterlaceMethod = PngInterlaceMode.Adam7 },
            new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 },
            new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit1 },
            new() { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit4 },
            new() { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8, FilterMethod = PngFilterMethod.Paeth },
        ];
        for (var i = 0; i < pngs.Length; i++)
        {
            sources.Add(($"png {pngs[i].ColorType} {pngs[i].BitDepth} {pngs[i].InterlaceMethod}", TestImages.BlackOnWhite(MnistTestSet.Images[10 + i], pngs[i], scale: 2)));
        }
        sources.Add(("progressive jpeg", HostileImages.ProgressiveJpegScanBomb(64, 3)));
        sources.Add(("jpeg scan bomb", HostileImages.ProgressiveJpegScanBomb(256, 300)));
        sources.Add(("gif of many frames", HostileImages.GifWithFrames(64, 6000)));
        sources.Add(("empty interlaced png", HostileImages.EmptyInterlacedPng));
        sources.Add(("empty interlaced png 4096", HostileImages.EmptyInterlacedPngOfSize(4096, 4096)));
        sources.Add(("black png with short data", HostileImages.BlackPngWithShortData()));
        return [.. sources];
    }

    /// <summary>Input <paramref name="index"/>: a source, cut, bit-flipped, overwritten, with lengths changed or bytes repeated.</summary>
    private static (string Name, byte[] Data) Mutate((string Name, byte[] Data)[] sources, int seed, int index)
    {
        var random = new Random(unchecked(seed * 1_000_003 + index));
        var (name, source) = sources[random.Next(sources.Length)];
        var data = (byte[])source.Clone();
        switch (index % 6)
        {
            case 0:
                return ($"{name} cut at", data[..random.Next(data.Length + 1)]);
            case 1:
                for (var k = 1 + random.Next(8); k > 0; k--)
                {
                    data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                }
                return ($"{name} bit-flipped", data);
            case 2:
            {
                var start = random.Next(data.Length);
                random.NextBytes(data.AsSpan(start, Math.Min(data.Length - start, 1 + random.Next(32))));
                return ($"{name} overwritten at {start}", data);
            }
            case 3:
            {
                // A length or size field made huge, zero or off by a little: 2 or 4 bytes somewhere in the first 64.
                var at = random.Next(Math.Max(1, Math.Min(data.Length - 4, 64)));
                byte[][] values = [[0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0], [0x7F, 0xFF, 0xFF, 0xFF], [0, 0, 0x10, 0]];
                var value = values[random.Next(values.Length)];
                value.AsSpan(0, Math.Min(random.Next(2) == 0 ? 2 : 4, data.Length - at)).CopyTo(data.AsSpan(at));
                return ($"{name} field at {at} set", data);
            }
            case 4:
            {
                // A slice repeated in place: chunks, markers, frames or scans twice or many times.
                var start = random.Next(data.Length);
                var length = Math.Min(data.Length - start, 1 + random.Next(256));
                var repeats = 1 + random.Next(50);
                var slice = data.AsSpan(start, length).ToArray();
                return ($"{name} {length} bytes at {start} repeated {repeats} times",
                    [.. data[..start], .. Enumerable.Repeat(slice, repeats).SelectMany(s => s), .. data[start..]]);
            }
            default:
                return (name, data); // whole: the sources themselves, over and over (the hostile ones must stay refused)
        }
    }

    /// <summary>The calling thread's CPU time (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)).</summary>
    private static class ThreadCpu
    {
        private const int ClockThreadCpuTime = 3;

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out TimeSpec time);

        public static TimeSpan Now() =>
            ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? TimeSpan.FromTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100) : TimeSpan.Zero;
    }
}
