using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Xunit.Abstractions;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The files that used to pin a core, sent to the Release service as a process: each is answered 400 at once, the
/// process is idle right after (no thread left spinning), and SIGTERM then stops it at once.
/// </summary>
public sealed class HostileImageProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _models = TempDirectory.New("hostile-images");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task Files_that_used_to_pin_a_core_are_answered_400_and_leave_the_process_idle()
    {
        File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
        using var service = await ServiceProcess.StartAsync(_models);
        using var http = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(30) };
        var png = HostileImages.EmptyInterlacedPng;
        // The scan bomb near full size: 4096x4096, its 39-byte scan 120,000 times (4.7 MB, under the 5 MiB body limit).
        var bomb = HostileImages.ProgressiveJpegScanBomb(4096, 120_000);
        (string Name, Func<HttpContent> Content)[] requests =
        [
            ("65-byte interlaced PNG, raw", () => Raw(png, "image/png")),
            ("65-byte interlaced PNG, multipart", () => new MultipartFormDataContent { { Raw(png, "image/png"), "image", "x.png" } }),
            ("65-byte interlaced PNG, data URL", () => new StringContent(
                $"{{\"image\": \"data:image/png;base64,{Convert.ToBase64String(png)}\"}}", Encoding.UTF8, "application/json")),
            ("4096x4096 interlaced PNG inflating to nothing", () => Raw(HostileImages.EmptyInterlacedPngOfSize(4096, 4096), "image/png")),
            ("interlaced PNG with its header second", () => Raw(HostileImages.InterlacedPngWithHeaderNotFirst(), "image/png")),
            ($"JPEG scan bomb ({bomb.Length:N0} bytes)", () => Raw(bomb, "image/jpeg")),
        ];
        foreach (var (name, content) in requests)
        {
            // The server's CPU time, not the wall clock: a busy machine stretches the one, a file that pins a core the other.
            var clock = Stopwatch.StartNew();
            var cpuBefore = CpuSeconds(service.Process.Id);
            using var response = await http.PostAsync("predict", content());
            var cpuUsed = CpuSeconds(service.Process.Id) - cpuBefore;
            output.WriteLine($"{name}: {(int)response.StatusCode} after {clock.Elapsed.TotalMilliseconds:0} ms, {cpuUsed * 1000:0} ms of CPU");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(cpuUsed < 2, $"{name} took {cpuUsed:0.0} s of the server's CPU");
        }

        // Idle means idle: a thread left decoding is always running (state R), however busy the machine; a thread of the
        // runtime may be now and then (JIT, GC). Ten looks over a second after the answers.
        var before = CpuSeconds(service.Process.Id);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var running = new Dictionary<string, int>();
        for (var look = 0; look < 10; look++)
        {
            foreach (var task in RunningThreads(service.Process.Id))
            {
                running[task] = running.GetValueOrDefault(task) + 1;
            }
            await Task.Delay(100);
        }
        var cpu = CpuSeconds(service.Process.Id) - before;
        output.WriteLine($"CPU in the 2 s after: {cpu * 1000:0} ms; threads seen running: " +
            (running.Count == 0 ? "none" : string.Join(", ", running.Select(kv => $"{kv.Key} {kv.Value}/10"))));
        Assert.DoesNotContain(running, kv => kv.Value >= 8);

        var clockStop = Stopwatch.StartNew();
        Assert.Equal(0, await service.Process.StopAsync(TimeSpan.FromSeconds(10)));
        output.WriteLine($"SIGTERM to exit: {clockStop.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(clockStop.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {clockStop.Elapsed.TotalSeconds:0.0} s");
    }

    private static ByteArrayContent Raw(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    /// <summary>The threads of a process that are running or ready to run right now (/proc/PID/task/TID/stat state R), by name and id.</summary>
    private static List<string> RunningThreads(int pid)
    {
        var running = new List<string>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var close = stat.LastIndexOf(')');
                if (stat[close + 2] == 'R')
                {
                    running.Add($"{stat[(stat.IndexOf('(') + 1)..close]} ({Path.GetFileName(task)})");
                }
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }
        return running;
    }

    /// <summary>User plus system CPU time of a process so far (/proc/PID/stat, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0; // utime, stime: fields 14 and 15 of the line
    }
}
