using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MnistService.Benchmarks;

/// <summary>
/// The control for the service benchmark (docs/bench/service/run.sh, CONTROL_PID): a bare Kestrel app whose
/// <c>POST /work?iterations=N</c> reads the whole body, as <c>POST /predict</c> does, then spends N rounds of
/// integer arithmetic on one thread and answers a few bytes. No image code, no ONNX Runtime, no logging, no
/// allocation but the body's copy and the answer, no waiting on anything. Calibrated to the same CPU per
/// request as a prediction, it shows what latency this machine and load give to that much CPU work per
/// request, so the service's own share of a tail can be told from the machine's.
/// </summary>
public static class ControlServer
{
    public static void Run(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/work", async (HttpRequest request, int iterations) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            return TypedResults.Text(Work(iterations, body.Length).ToString());
        });
        app.Run();
    }

    /// <summary>FNV-1a over the round numbers: a dependency chain the JIT can neither vectorise nor remove.</summary>
    private static ulong Work(int iterations, long seed)
    {
        var hash = 14695981039346656037UL ^ (ulong)seed;
        for (var i = 0; i < iterations; i++)
        {
            hash = (hash ^ (ulong)i) * 1099511628211UL;
        }
        return hash;
    }
}
