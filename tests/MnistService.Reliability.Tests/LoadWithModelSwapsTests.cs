using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MnistService.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MnistService.Reliability.Tests;

/// <summary>
/// Load on the running service while its default model file is replaced again and again (atomic
/// renames, slow in-place overwrites, a writer that stalls half way) and broken files are dropped in:
/// no request fails, and every answer comes from one of the two complete versions.
/// Defaults: 12 s, 8 connections, 8 swaps; the long run (run-long.sh) uses 60+ s, 32 connections, 24+ swaps.
/// </summary>
public sealed class LoadWithModelSwapsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _models = TempDirectory.New("swaps");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task Under_load_with_model_files_replaced_and_broken_no_request_fails_and_every_answer_is_from_a_complete_model()
    {
        var seconds = ReliabilitySettings.Int("RELIABILITY_LOAD_SECONDS", 12);
        var connections = ReliabilitySettings.Int("RELIABILITY_LOAD_CONNECTIONS", 8);
        var swaps = ReliabilitySettings.Int("RELIABILITY_LOAD_SWAPS", 8);
        var modelPath = Path.Combine(_models, "mnist-cnn.onnx");
        File.WriteAllBytes(modelPath, ModelVersions.A);
        var hashes = new Dictionary<string, string> { [ModelVersions.Hash(ModelVersions.A)] = "A", [ModelVersions.Hash(ModelVersions.B)] = "B" };
        using var service = await ServiceProcess.StartAsync(_models);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = service.Address,
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var control = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(10) };

        var statuses = new ConcurrentDictionary<int, int>();
        var answeredBy = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var latencies = new ConcurrentBag<double>();
        // The load runs for the given time and at least until every swap is done.
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        var load = Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; !stop.IsCancellationRequested; i += connections)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync("predict", Bodies.Create(i));
                    var text = await response.Content.ReadAsStringAsync();
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Fail($"status {(int)response.StatusCode}: {text[..Math.Min(300, text.Length)]}");
                        continue;
                    }
                    using var json = JsonDocument.Parse(text);
                    var hash = json.RootElement.GetProperty("modelSha256").GetString()!;
                    if (json.RootElement.GetProperty("model").GetString() != "mnist-cnn" || !hashes.TryGetValue(hash, out var version))
                    {
                        Fail($"answered by an unknown model {json.RootElement.GetProperty("model")} {hash}");
                        continue;
                    }
                    answeredBy.AddOrUpdate(version, 1, (_, n) => n + 1);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException)
                {
                    statuses.AddOrUpdate(0, 1, (_, n) => n + 1);
                    Fail($"request failed: {e.GetType().Name}: {e.Message}");
                }
            }
        })).ToList();

        void Fail(string message)
        {
            if (failures.Count < 20)
            {
                failures.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s: {message}");
            }
        }

        // The swaps, evenly spread over the run; each must be seen by the service before the next.
        var modes = new ConcurrentDictionary<string, int>();
        var interval = TimeSpan.FromSeconds(seconds) / (swaps + 1);
        var current = ModelVersions.A;
        for (var swap = 0; swap < swaps; swap++)
        {
            await Task.Delay(interval);
            var next = ReferenceEquals(current, ModelVersions.A) ? ModelVersions.B : ModelVersions.A;
            var mode = (swap % 4) switch { 0 => "atomic rename", 1 => "slow in-place overwrite", 2 => "broken file, then atomic rename", _ => "in-place overwrite stalled half way" };
            switch (swap % 4)
            {
                case 0:
                    ModelVersions.ReplaceAtomically(modelPath, next);
                    break;
                case 1:
                    await ModelVersions.OverwriteInPlaceAsync(modelPath, next, chunk: 64 * 1024, pause: TimeSpan.FromMilliseconds(40));
                    break;
                case 2:
                    // A broken default model (and a broken extra file) must not replace the working one.
                    ModelVersions.ReplaceAtomically(modelPath, ModelVersions.Broken);
                    File.WriteAllBytes(Path.Combine(_models, "broken.onnx"), ModelVersions.Broken[..20]);
                    await WaitForAsync(control, models => Failed(models, "mnist-cnn") && Failed(models, "broken") && Serving(models) == ModelVersions.Hash(current),
                        "the broken file reported while the previous version serves");
                    File.Delete(Path.Combine(_models, "broken.onnx"));
                    ModelVersions.ReplaceAtomically(modelPath, next);
                    break;
                default:
                    await ModelVersions.OverwriteInPlaceAsync(modelPath, next, chunk: 64 * 1024, pause: TimeSpan.FromMilliseconds(20), stall: TimeSpan.FromMilliseconds(900));
                    break;
            }
            current = next;
            var expected = ModelVersions.Hash(current);
            await WaitForAsync(control, models => Serving(models) == expected && !Failed(models, "mnist-cnn"), $"swap {swap + 1} ({mode}) served");
            modes.AddOrUpdate(mode, 1, (_, n) => n + 1);
        }

        var remaining = TimeSpan.FromSeconds(seconds) - clock.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);
        clock.Stop();
        var sorted = latencies.Order().ToArray();
        var total = statuses.Values.Sum();
        double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        output.WriteLine($"{total:N0} requests in {clock.Elapsed.TotalSeconds:0.0} s over {connections} connections ({total / clock.Elapsed.TotalSeconds:0}/s), p50 {Percentile(0.5):0.0} ms, p99 {Percentile(0.99):0.0} ms");
        output.WriteLine("Statuses (0 = transport failure): " + string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value:N0}")));
        output.WriteLine("Answered by: " + string.Join(", ", answeredBy.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value:N0}")));
        output.WriteLine("Swaps: " + string.Join(", ", modes.Select(kv => $"{kv.Key}: {kv.Value}")));
        output.WriteLine($"Service peak working set: {service.Process.PeakWorkingSet / 1048576.0:0} MiB");
        ReliabilitySettings.Record("load-with-swaps", new
        {
            seconds = clock.Elapsed.TotalSeconds, connections, requests = total, perSecond = total / clock.Elapsed.TotalSeconds,
            p50Ms = Percentile(0.5), p99Ms = Percentile(0.99), statuses = statuses.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
            answeredBy, swaps = modes, failures = failures.ToArray(), servicePeakWorkingSetMiB = service.Process.PeakWorkingSet / 1048576.0,
        });

        Assert.True(failures.IsEmpty, string.Join('\n', failures) + "\n" + Tail(service.Process.Output));
        Assert.Equal(swaps, modes.Values.Sum());
        Assert.True(answeredBy.GetValueOrDefault("A") > 0 && answeredBy.GetValueOrDefault("B") > 0, "both versions answered");
        Assert.Equal(total, statuses.GetValueOrDefault(200));
    }

    private static string? Serving(JsonElement models) =>
        models.GetProperty("models").EnumerateArray().Where(m => m.GetProperty("name").GetString() == "mnist-cnn")
            .Select(m => m.GetProperty("sha256").GetString()).FirstOrDefault();

    private static bool Failed(JsonElement models, string name) =>
        models.GetProperty("failures").EnumerateArray().Any(f => f.GetProperty("name").GetString() == name);

    private static async Task WaitForAsync(HttpClient control, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await control.GetStringAsync("models");
            using var json = JsonDocument.Parse(last);
            if (condition(json.RootElement))
            {
                return;
            }

            await Task.Delay(50);
        }
        throw new TimeoutException($"Not reached: {what}; GET /models: {last}");
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : text[^3000..];
}
