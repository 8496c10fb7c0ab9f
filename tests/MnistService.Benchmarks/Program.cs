namespace MnistService.Benchmarks;

// An explicit entry point: top-level statements would declare a global Program, which clashes with the Api's.
public static class BenchmarkProgram
{
    /// <summary>
    /// BenchmarkDotNet's switcher; <c>control-server [--urls URL]</c> runs <see cref="ControlServer"/> instead,
    /// <c>detector-comparison MODEL</c> <see cref="DetectorComparison"/>, <c>detector-train MODEL OUT</c>
    /// <see cref="DetectorRetraining"/>, <c>session-timing MODEL...</c> <see cref="SessionTiming"/>, and <c>number-png FILE</c> writes the
    /// number of <see cref="SequenceBenchmarks"/> for the service benchmark.
    /// </summary>
    public static void Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "number-png")
        {
            File.WriteAllBytes(args[1], SequenceBenchmarks.Number().Bytes);
            return;
        }
        if (args.Length > 0 && args[0] == "control-server")
        {
            ControlServer.Run(args[1..]);
            return;
        }
        if (args.Length > 1 && args[0] == "session-timing")
        {
            SessionTiming.Run(args[1..]);
            return;
        }
        if (args.Length is >= 3 and <= 7 && args[0] == "detector-train")
        {
            DetectorRetraining.Run(args[1..]);
            return;
        }
        if (args.Length > 0 && args[0] == "detector-comparison")
        {
            DetectorComparison.Run(args[1..]);
            return;
        }
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
    }
}
