namespace MnistService.Benchmarks;

// An explicit entry point: top-level statements would declare a global Program, which clashes with the Api's.
public static class BenchmarkProgram
{
    /// <summary>The measuring tools beside the benchmarks, by their first argument; the rest are theirs.</summary>
    private static readonly Dictionary<string, Action<string[]>> Tools = new()
    {
        // control-server [--urls URL]: the service benchmark's baseline.
        ["control-server"] = ControlServer.Run,
        // detector-comparison MODEL [MODEL...]: docs/not-a-digit.md.
        ["detector-comparison"] = DetectorComparison.Run,
        // canvas-accuracy MODEL [MODEL...]: docs/benchmarks.md, "Canvas-like uploads".
        ["canvas-accuracy"] = CanvasAccuracy.Run,
        // reader-weights [MODEL]: the number reader's weights, docs/reading-numbers.md.
        ["reader-weights"] = ReaderWeights.Run,
        // number-png FILE: the number of SequenceBenchmarks, for the service benchmark.
        ["number-png"] = args => File.WriteAllBytes(args.Single(), SequenceBenchmarks.Number().Bytes),
    };

    /// <summary>One of <see cref="Tools"/>, else BenchmarkDotNet's switcher.</summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && Tools.TryGetValue(args[0], out var tool))
        {
            tool(args[1..]);
            return;
        }
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
    }
}
