namespace MnistService.Benchmarks;

// An explicit entry point: top-level statements would declare a global Program, which clashes with the Api's.
public static class BenchmarkProgram
{
    private sealed record Tool(string Arguments, int MinArguments, int MaxArguments, Action<string[]> Run);

    /// <summary>The measuring tools beside the benchmarks, by their first argument; the rest are theirs.</summary>
    private static readonly Dictionary<string, Tool> Tools = new()
    {
        // The service benchmark's baseline.
        ["control-server"] = new("[--urls URL]", 0, 2, ControlServer.Run),
        // docs/not-a-digit.md.
        ["detector-comparison"] = new("MODEL [MODEL...] [--misses]", 1, int.MaxValue, DetectorComparison.Run),
        // A detector trained beside MODEL's classifier.
        ["detector-train"] = new("MODEL OUT [members hidden epochs seed]", 2, 6, DetectorRetraining.Run),
        // Single images through each model's ONNX Runtime session.
        ["session-timing"] = new("MODEL [MODEL...]", 1, int.MaxValue, SessionTiming.Run),
        // docs/benchmarks.md, "Canvas-like uploads".
        ["canvas-accuracy"] = new("MODEL [MODEL...]", 1, int.MaxValue, CanvasAccuracy.Run),
        // The number reader's weights, docs/reading-numbers.md.
        ["reader-weights"] = new("[MODEL] [--per-style N] [--train 7,9,11] [--validate 8] [--epochs 12]", 0, 9, ReaderWeights.Run),
        // The number reader's piece judge, docs/reading-numbers.md.
        ["reader-judge"] = new("[MODEL] [--numbers N] [--hidden 96] [--epochs 10] [--out FILE]", 0, 9, ReaderJudge.Run),
        // Digits written alone, read by /predict and by the number reader, docs/reading-numbers.md.
        ["reader-digits"] = new("[MODEL] [--digits N]", 0, 3, ReaderDigits.Run),
        // The number of SequenceBenchmarks, for the service benchmark.
        ["number-png"] = new("FILE", 1, 1, args => File.WriteAllBytes(args[0], SequenceBenchmarks.Number().Bytes)),
    };

    /// <summary>One of <see cref="Tools"/>, else BenchmarkDotNet's switcher.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Tools.TryGetValue(args[0], out var tool))
        {
            BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
            return 0;
        }
        if (args.Length - 1 < tool.MinArguments || args.Length - 1 > tool.MaxArguments)
        {
            Console.Error.WriteLine($"Usage: {args[0]} {tool.Arguments}");
            return 2;
        }
        try
        {
            tool.Run(args[1..]);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"{args[0]}: {e.Message} Usage: {args[0]} {tool.Arguments}");
            return 2;
        }
        return 0;
    }
}
