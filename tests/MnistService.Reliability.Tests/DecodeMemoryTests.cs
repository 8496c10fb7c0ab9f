using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The Release service under the shipped Kubernetes memory limit (DOTNET_GCHeapHardLimit 384 MiB, the heap of a
/// 512Mi container) with many large images at once: every answer is 200, a 4xx or 503 with Retry-After, never a 500;
/// a large image alone succeeds afterwards; the peak resident memory stays under the limit.
/// </summary>
public sealed class DecodeMemoryTests(ITestOutputHelper output) : IDisposable
{
    // The shipped Kubernetes limit (576Mi) and the heap .NET takes of it by default (75 %).
    private const long HeapLimit = 432L << 20;
    private const long ContainerLimit = 576L << 20;
    private readonly string _models = TempDirectory.New("decode-memory");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task Concurrent_4096_pixel_images_under_a_384_MiB_heap_get_no_500_and_memory_stays_under_the_limit()
    {
        var concurrent = ReliabilitySettings.Int("RELIABILITY_MEMORY_CONCURRENT", 24);
        var rounds = ReliabilitySettings.Int("RELIABILITY_MEMORY_ROUNDS", 2);
        File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
        (string Name, byte[] Bytes, string Type)[] images =
        [
            ("16-bit gray PNG", HostileImages.Png16(4096), "image/png"),
            ("16-bit interlaced PNG", HostileImages.Png16(4096, interlaced: true), "image/png"),
            ("8-bit RGBA PNG", Rgba8Png(4096), "image/png"),
            ("GIF", HostileImages.GifWithFrames(4096, 1), "image/gif"),
        ];
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string>
        {
            ["DOTNET_GCHeapHardLimit"] = $"0x{HeapLimit:X}",
            ["RequestTimeouts__Timeout"] = "00:01:00",
        });
        using var http = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(90) };
        var statuses = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();

        for (var round = 0; round < rounds; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, concurrent).Select(async i =>
            {
                var (name, bytes, type) = images[i % images.Length];
                using var response = await http.PostAsync("predict", Content(bytes, type));
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status.ToString(), 1, (_, n) => n + 1);
                var body = await response.Content.ReadAsStringAsync();
                if (status >= 500 && (status != 503 || response.Headers.RetryAfter is null))
                {
                    failures.Enqueue($"{name}: {status} {body}");
                }
            }));
        }
        var burst = clock.Elapsed;

        // Alone, each large image is decoded again (200, or 422 when the picture holds no digit): nothing was lost.
        var alone = new List<string>();
        foreach (var (name, bytes, type) in images)
        {
            using var response = await http.PostAsync("predict", Content(bytes, type));
            alone.Add($"{name}: {(int)response.StatusCode}");
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity))
            {
                failures.Enqueue($"{name} alone afterwards: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        var peak = PeakResidentBytes(service.Process.Id);
        output.WriteLine($"{concurrent} at once x {rounds} rounds of 4096x4096 images in {burst.TotalSeconds:0.0} s: " +
            string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")));
        output.WriteLine("Alone afterwards: " + string.Join(", ", alone));
        output.WriteLine($"Peak RSS (VmHWM) {peak / 1048576.0:0} MiB; heap limit {HeapLimit >> 20} MiB, container limit {ContainerLimit >> 20} MiB");
        ReliabilitySettings.Record("decode-memory", new
        {
            concurrent, rounds, seconds = burst.TotalSeconds, statuses, alone, peakRssMiB = peak / 1048576.0, heapLimitMiB = HeapLimit >> 20,
        });

        Assert.True(failures.IsEmpty, string.Join('\n', failures) + "\n" + service.Process.Output);
        Assert.False(service.Process.HasExited, service.Process.Output);
        Assert.True(peak < ContainerLimit, $"peak RSS {peak / 1048576} MiB");
        Assert.DoesNotContain("OutOfMemory", service.Process.Output);
    }

    private static ByteArrayContent Content(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    /// <summary>A 4096x4096 8-bit RGBA PNG of a large dark square on transparency (about 70 KB).</summary>
    private static byte[] Rgba8Png(int side)
    {
        using var image = new Image<Rgba32>(side, side);
        image.ProcessPixelRows(rows =>
        {
            for (var y = side / 4; y < side * 3 / 4; y++)
            {
                rows.GetRowSpan(y)[(side * 2 / 5)..(side * 3 / 5)].Fill(new Rgba32(0, 0, 0, 255));
            }
        });
        return TestImages.Encode(image, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, CompressionLevel = PngCompressionLevel.BestSpeed });
    }

    /// <summary>The process's peak resident set (VmHWM in /proc/PID/status).</summary>
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
