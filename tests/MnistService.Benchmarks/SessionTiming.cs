using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace MnistService.Benchmarks;

/// <summary>
/// <c>session-timing MODEL [MODEL...]</c>: one image through each model's ONNX Runtime session, one thread and the
/// service's session options, in alternating blocks of 4,000 runs; prints each model's median time per run. What a
/// detector adds to a prediction, without the noise of HTTP on a shared machine (docs/benchmarks.md, "Detector").
/// </summary>
public static class SessionTiming
{
    public static void Run(string[] args)
    {
        var sessions = args.Select(path =>
        {
            using var o = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            return new InferenceSession(path, o);
        }).ToList();
        var image = Testing.MnistTestSet.Images[0].Select(v => v / 255f).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(image, [1, 1, 28, 28]);
        using var runOptions = new RunOptions();
        var times = sessions.Select(_ => new List<double>()).ToList();
        for (var round = 0; round < 15; round++)
        {
            for (var s = 0; s < sessions.Count; s++)
            {
                var names = sessions[s].OutputMetadata.Keys.ToArray();
                var watch = Stopwatch.StartNew();
                const int n = 4000;
                for (var i = 0; i < n; i++)
                {
                    using var outputs = sessions[s].Run(runOptions, ["image"], [input], names);
                }
                times[s].Add(watch.Elapsed.TotalMicroseconds / n);
            }
        }
        for (var s = 0; s < sessions.Count; s++)
        {
            var sorted = times[s].Skip(3).Order().ToList();
            Console.WriteLine($"{Path.GetFileName(args[s])}: median {sorted[sorted.Count / 2]:F1} µs, min {sorted[0]:F1} µs per single-image run");
        }
    }
}
