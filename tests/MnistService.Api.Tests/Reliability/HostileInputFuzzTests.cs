using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MnistService.Api.Tests.Reliability;

/// <summary>
/// Thousands of generated hostile bodies against the service in memory: each gets 200 or one of the
/// documented 4xx answers as problem+json, never a 5xx, and the process's memory stays bounded.
/// RELIABILITY_FUZZ_BODIES, RELIABILITY_FUZZ_SEED and RELIABILITY_FUZZ_SCALE make the long run
/// (tests/reliability/run-long.sh); the default is 10,000 small bodies.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class HostileInputFuzzTests(CommittedModelFixture fixture, ITestOutputHelper output)
{
    private static readonly HashSet<int> Documented = [200, 400, 413, 415, 422];

    [Fact]
    public async Task Ten_thousand_hostile_bodies_get_only_documented_answers_and_memory_stays_bounded()
    {
        var count = ReliabilitySettings.Int("RELIABILITY_FUZZ_BODIES", 10_000);
        var seed = ReliabilitySettings.Int("RELIABILITY_FUZZ_SEED", 20261126);
        var bodies = new HostileBodies(scale: ReliabilitySettings.Int("RELIABILITY_FUZZ_SCALE", 2),
            gifFrames: ReliabilitySettings.Int("RELIABILITY_FUZZ_GIF_FRAMES", 300));
        var client = fixture.Client;
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var answers = new string[count];
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var workingSetBefore = process.WorkingSet64;
        var peakWorkingSet = workingSetBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var self = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                self.Refresh();
                InterlockedMax(ref peakWorkingSet, self.WorkingSet64);
                await Task.Delay(50, sampling.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        });
        var clock = Stopwatch.StartNew();

        // Two halves with a full GC between them: pools fill in the first half; a leak would grow in both.
        var half = count / 2;
        await SendAsync(0, half);
        var heapHalfway = GC.GetTotalMemory(forceFullCollection: true);
        await SendAsync(half, count - half);

        async Task SendAsync(int first, int n) =>
            await Parallel.ForEachAsync(Enumerable.Range(first, n), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (index, token) =>
            {
                var body = bodies.Generate(seed, index);
                using var response = await client.PostAsync("/predict", body.ToContent(), token);
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status, 1, (_, k) => k + 1);
                var text = await response.Content.ReadAsStringAsync(token);
                answers[index] = status == 200 ? "200 " + text[..Math.Min(text.Length, 120)] : status.ToString();
                var problem = Check(status, response.Content.Headers.ContentType?.MediaType, text);
                if (problem is not null && failures.Count < 20)
                {
                    failures.Enqueue($"#{index} {body}: {problem}");
                }
            });

        clock.Stop();

        // Replayed after everything else, every 10th body must get the same answer: nothing of an earlier
        // request (pooled buffers a truncated image leaves unwritten) may show in a later one.
        var replayed = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count).Where(i => i % 10 == 0), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (index, token) =>
        {
            var body = bodies.Generate(seed, index);
            using var response = await client.PostAsync("/predict", body.ToContent(), token);
            var text = await response.Content.ReadAsStringAsync(token);
            var again = (int)response.StatusCode == 200 ? "200 " + text[..Math.Min(text.Length, 120)] : ((int)response.StatusCode).ToString();
            if (again != answers[index] && replayed.Count < 10)
            {
                replayed.Enqueue($"#{index} {body}: first {answers[index]}, then {again}");
            }
        });
        await sampling.CancelAsync();
        await sampler;
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{count:N0} bodies (seed {seed}) in {clock.Elapsed.TotalSeconds:0.0} s, {count / clock.Elapsed.TotalSeconds:0} per second");
        output.WriteLine("Statuses: " + string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value:N0}")));
        output.WriteLine($"Working set: {workingSetBefore / 1048576.0:0} MiB before, peak {peakWorkingSet / 1048576.0:0} MiB during the run (test host and service together)");
        output.WriteLine($"Managed heap after a full GC: {heapBefore / 1048576.0:0} MiB before, {heapHalfway / 1048576.0:0} MiB half way, {heapAfter / 1048576.0:0} MiB after");
        if (Environment.GetEnvironmentVariable("RELIABILITY_FUZZ_LOG") is { Length: > 0 } log)
        {
            File.WriteAllLines(log, answers.Select((a, i) => $"{i} {bodies.Generate(seed, i).Kind} {a}"));
        }
        ReliabilitySettings.Record("fuzz", new
        {
            bodies = count, seed, seconds = clock.Elapsed.TotalSeconds, statuses = statuses.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
            workingSetBeforeMiB = workingSetBefore / 1048576.0, peakWorkingSetMiB = peakWorkingSet / 1048576.0,
            heapBeforeMiB = heapBefore / 1048576.0, heapHalfwayMiB = heapHalfway / 1048576.0, heapAfterMiB = heapAfter / 1048576.0,
        });

        Assert.True(failures.IsEmpty, string.Join('\n', failures));
        Assert.True(replayed.IsEmpty, "The same body got different answers:\n" + string.Join('\n', replayed));
        Assert.Equal(count, statuses.Values.Sum());
        Assert.True(statuses.GetValueOrDefault(200) > 0, "no valid body was answered");
        Assert.True(statuses.Keys.Count(s => s >= 400) >= 4, "the generator should provoke several kinds of refusal");
        // Bounded: nothing was decoded whole from a lying header, and nothing is kept per request.
        Assert.True(peakWorkingSet - workingSetBefore < 1536L * 1048576, $"working set grew by {(peakWorkingSet - workingSetBefore) / 1048576} MiB");
        // Nothing kept per request: what the first half left (pooled buffers) the second half does not add to.
        Assert.True(heapAfter - heapHalfway < 48L * 1048576,
            $"managed heap grew by {(heapHalfway - heapBefore) / 1048576} MiB in the first half and {(heapAfter - heapHalfway) / 1048576} MiB in the second");
    }

    /// <summary>Null when the answer is one the API documents; otherwise what is wrong with it.</summary>
    private static string? Check(int status, string? mediaType, string text)
    {
        if (!Documented.Contains(status))
        {
            return $"status {status}: {Shorten(text)}";
        }
        try
        {
            using var json = JsonDocument.Parse(text);
            if (status == 200)
            {
                var digit = json.RootElement.GetProperty("digit").GetInt32();
                return mediaType == "application/json" && digit is >= 0 and <= 9 ? null : $"200 with {mediaType}: {Shorten(text)}";
            }
            return mediaType == "application/problem+json" && json.RootElement.GetProperty("status").GetInt32() == status
                && !string.IsNullOrWhiteSpace(json.RootElement.GetProperty("detail").GetString())
                ? null
                : $"{status} with {mediaType}: {Shorten(text)}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"{status} with an unreadable body ({e.Message}): {Shorten(text)}";
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
