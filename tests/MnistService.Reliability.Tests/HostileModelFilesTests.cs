using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MnistService.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The Release service as a process over a models directory an attacker filled: links (to a model, to
/// /etc/passwd, to /dev/zero), a FIFO, a 2 GiB and a 1.9 GB sparse file, a directory, a model that fails
/// at inference; and the same service running out of descriptors while it lists the directory.
/// </summary>
public sealed partial class HostileModelFilesTests(ITestOutputHelper output) : IDisposable
{
    private const string ReadLogLevel = "Serilog__MinimumLevel__Override__MnistService.Api.ModelStore";
    private const string UpkeepLogLevel = "Serilog__MinimumLevel__Override__MnistService.Api.Feedback";
    private readonly TempDirectory _models = new("hostile-models");

    public void Dispose() => _models.Dispose();

    [Fact]
    public async Task Odd_files_neither_block_the_start_nor_cost_memory_and_are_reported_once_while_swaps_go_on()
    {
        var modelPath = _models.File("mnist-cnn.onnx");
        File.WriteAllBytes(modelPath, ModelVersions.A);
        File.SetLastWriteTimeUtc(modelPath, DateTime.UtcNow.AddMinutes(-1));
        File.CreateSymbolicLink(_models.File("link-to-model.onnx"), modelPath);
        File.CreateSymbolicLink(_models.File("passwd.onnx"), "/etc/passwd");
        File.CreateSymbolicLink(_models.File("zero.onnx"), "/dev/zero");
        SpecialFiles.MakeFifo(_models.File("pipe.onnx"));
        SpecialFiles.MakeSparse(_models.File("two-gib.onnx"), 2L << 30);
        SpecialFiles.MakeSparse(_models.File("sparse.onnx"), 1_900_000_000);
        Directory.CreateDirectory(_models.File("folder.onnx"));
        File.WriteAllBytes(_models.File("fails.onnx"), TinyOnnxModel.ReshapesWrongly);
        File.SetLastWriteTimeUtc(_models.File("fails.onnx"), DateTime.UtcNow.AddMinutes(-1));

        var started = DateTime.UtcNow;
        // Ready within the start's own 60 s: a FIFO opened for reading blocked the start for good.
        using var service = await ServiceProcess.StartAsync(_models.Path, new Dictionary<string, string> { [ReadLogLevel] = "Debug" });
        var startSeconds = (DateTime.UtcNow - started).TotalSeconds;
        using var http = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(10) };

        var list = await Json(http, "models");
        Assert.Equal(["mnist-cnn"], list.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        var failures = list.GetProperty("failures").EnumerateArray()
            .ToDictionary(f => f.GetProperty("file").GetString()!, f => f.GetProperty("error").GetString()!);
        Assert.Equal(["fails.onnx", "folder.onnx", "link-to-model.onnx", "passwd.onnx", "pipe.onnx", "sparse.onnx", "two-gib.onnx", "zero.onnx"], failures.Keys.Order());
        Assert.Contains("symbolic link", failures["zero.onnx"]);
        Assert.Contains("FIFO", failures["pipe.onnx"]);
        Assert.Contains("Models:MaxFileBytes", failures["two-gib.onnx"]);
        Assert.Contains("fails at inference", failures["fails.onnx"]);

        // The watcher is not stuck: a new version of the default is picked up.
        ModelVersions.ReplaceAtomically(modelPath, ModelVersions.B);
        await WaitUntil(http, m => m.GetProperty("models")[0].GetProperty("sha256").GetString() == ModelVersions.Hash(ModelVersions.B), "B is served");
        var reads = Reads(service);

        // Three rescans later (every 2 s) nothing has been read again, and each failure is still listed once.
        await Task.Delay(TimeSpan.FromSeconds(7));
        Assert.Equal(reads, Reads(service));
        var after = await Json(http, "models");
        Assert.Equal(8, after.GetProperty("failures").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        var peakMiB = service.Process.PeakWorkingSet / (1 << 20);
        Assert.True(peakMiB < 400, $"peak working set {peakMiB} MiB: a large file was read");

        output.WriteLine($"Ready after {startSeconds:0.0} s; model files read: {reads} (A, fails.onnx, B), none again over 3 rescans; peak working set {peakMiB} MiB");
        ReliabilitySettings.Record("hostile-model-files", new { startSeconds, reads, peakWorkingSetMiB = peakMiB, failures });
    }

    [Fact]
    public async Task Running_out_of_descriptors_while_listing_keeps_the_models_loaded()
    {
        File.WriteAllBytes(_models.File("mnist-cnn.onnx"), ModelVersions.A);
        File.SetLastWriteTimeUtc(_models.File("mnist-cnn.onnx"), DateTime.UtcNow.AddMinutes(-1));
        // With W^X (the runtime's default) code compiled after the limit is lowered needs a new descriptor for its
        // executable memory, and the runtime exits with "Out of memory." (measured: the process died 8 s after the
        // limit). This test is about the model directory, so the runtime's own need is taken out of it.
        // Nor can the runtime start a thread then (docs/reliability.md), and tiered compilation starts its background
        // compiler on a thread of its own when methods get hot: measured, with it the process died ("Out of memory.")
        // 40-50 s after the limit was lowered, without it the process lived on.
        // The in-process training worker stays out (External): its directory polls are not what this test is about.
        // The model store's debug lines get the console written before the limit: .NET opens its console stream
        // (a dup of stdout, a new descriptor) on the first write, which would fail under the limit.
        using var service = await ServiceProcess.StartAsync(_models.Path,
            new Dictionary<string, string>
            {
                ["DOTNET_EnableWriteXorExecute"] = "0", ["DOTNET_TieredCompilation"] = "0",
                [ReadLogLevel] = "Debug", [UpkeepLogLevel] = "Information", ["Training__Worker"] = "External",
            });
        // One connection, opened and used before the limit: no new descriptor is needed to ask the service.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = service.Address,
            Timeout = TimeSpan.FromSeconds(10),
        };
        await Json(http, "models");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        // Under the limit the runtime cannot load an assembly it has not loaded yet, and a path that needs one fails
        // however it is written (the feedback upkeep's first pass, measured: "Out of memory." and the process exits).
        // The upkeep's first pass ends before the limit, and its next is 30 s away, far past the two rescans.
        var upkeepDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!service.Process.Output.Contains("Feedback database: "))
        {
            Assert.True(DateTime.UtcNow < upkeepDeadline, "the feedback upkeep did not report:\n" + service.Process.Output);
            await Task.Delay(100);
        }

        // Far below what it holds (about 270, mostly the runtime's and ONNX Runtime's): no new descriptor at all.
        var open = ProcessLimits.OpenDescriptors(service.Process.Id);
        const int limit = 32;
        var previous = ProcessLimits.SetOpenFileLimit(service.Process.Id, limit);
        int failedListings;
        try
        {
            // Rescans every 2 s; wait for two that failed with EMFILE.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while ((failedListings = CannotList().Matches(service.Process.Output).Count) < 2)
            {
                Assert.False(service.Process.HasExited, "the service died under the lowered limit:\n" + service.Process.Output);
                Assert.True(DateTime.UtcNow < deadline, "no listing failed under the lowered limit:\n" + service.Process.Output);
                await Task.Delay(200);
            }
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
            var list = await Json(http, "models");
            Assert.Equal("mnist-cnn", list.GetProperty("models")[0].GetProperty("name").GetString());
        }
        finally
        {
            if (!service.Process.HasExited)
            {
                ProcessLimits.SetOpenFileLimit(service.Process.Id, previous);
            }
        }
        Assert.False(service.Process.HasExited, "the service died under the lowered limit:\n" + service.Process.Output);
        Assert.Contains("Too many open files", service.Process.Output);
        Assert.DoesNotContain("removed (its file is gone)", service.Process.Output);
        using var fresh = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("readyz")).StatusCode);
        output.WriteLine($"{open} descriptors open, soft limit lowered to {limit}: {failedListings} listings failed (EMFILE), the model stayed loaded and ready");
        ReliabilitySettings.Record("model-directory-emfile", new { descriptors = open, limit, failedListings });
    }

    private static int Reads(ServiceProcess service) => ReadLine().Matches(service.Process.Output).Count;

    [GeneratedRegex(@"Reading model file ")]
    private static partial Regex ReadLine();

    [GeneratedRegex(@"Cannot list .*; the 1 models loaded stay as they are")]
    private static partial Regex CannotList();

    private static async Task<JsonElement> Json(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task WaitUntil(HttpClient http, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition(await Json(http, "models")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }
}
