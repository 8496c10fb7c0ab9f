namespace MnistService.Benchmarks;

// An explicit entry point: top-level statements would declare a global Program, which clashes with the Api's.
public static class BenchmarkProgram
{
    public static void Main(string[] args) =>
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
