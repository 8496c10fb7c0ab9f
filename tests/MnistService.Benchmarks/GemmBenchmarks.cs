using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MnistService.Core.Network;

namespace MnistService.Benchmarks;

/// <summary>
/// The three products of each dense layer of the tutorial's model at batch 128, ours against a naive
/// triple loop (single thread, scalar, i-j-p order) measured in the same run. FLOP = 2·rows·inputs·outputs.
/// </summary>
[Config(typeof(GemmConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GemmBenchmarks
{
    private const int Rows = 128;
    private float[] _x = [], _w = [], _b = [], _y = [], _dy = [], _dw = [], _dx = [];
    private Gemm _gemm = null!;

    /// <summary>Layer shape inputs x outputs: 784x256, 256x128, 128x10.</summary>
    [Params("784x256", "256x128", "128x10")]
    public string Layer { get; set; } = "784x256";

    private int Inputs => int.Parse(Layer.Split('x')[0]);
    private int Outputs => int.Parse(Layer.Split('x')[1]);

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => rng.NextFloat(-1, 1)).ToArray();
        _x = Random(Rows * Inputs);
        _w = Random(Inputs * Outputs);
        _b = Random(Outputs);
        _dy = Random(Rows * Outputs);
        _y = new float[Rows * Outputs];
        _dw = new float[Inputs * Outputs];
        _dx = new float[Rows * Inputs];
        _gemm = new Gemm();
        Forward(); WeightGradient(); InputGradient(); // grow the packing buffers outside the measurement
    }

    [Benchmark, BenchmarkCategory("Y = X·W + b")]
    public void Forward() => _gemm.Forward(_x, _w, _b, _y, Rows, Inputs, Outputs);

    [Benchmark(Baseline = true), BenchmarkCategory("Y = X·W + b")]
    public void NaiveForward() => Naive(Rows, Inputs, Outputs, _x, Inputs, 1, _w, Outputs, 1, _y, _b);

    [Benchmark, BenchmarkCategory("dW = Xᵀ·dY")]
    public void WeightGradient() => _gemm.WeightGradient(_x, _dy, _dw, Rows, Inputs, Outputs);

    [Benchmark(Baseline = true), BenchmarkCategory("dW = Xᵀ·dY")]
    public void NaiveWeightGradient() => Naive(Inputs, Rows, Outputs, _x, 1, Inputs, _dy, Outputs, 1, _dw, null);

    [Benchmark, BenchmarkCategory("dX = dY·Wᵀ")]
    public void InputGradient() => _gemm.InputGradient(_dy, _w, _dx, Rows, Inputs, Outputs);

    [Benchmark(Baseline = true), BenchmarkCategory("dX = dY·Wᵀ")]
    public void NaiveInputGradient() => Naive(Rows, Outputs, Inputs, _dy, Outputs, 1, _w, 1, Outputs, _dx, null);

    /// <summary>C[i, j] = bias[j] + Σ_p A(i, p)·B(p, j), the textbook loop.</summary>
    private static void Naive(int m, int depth, int n, float[] a, int aRow, int aDepth, float[] b, int bDepth, int bCol, float[] c, float[]? bias)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = bias?[j] ?? 0f;
                for (var p = 0; p < depth; p++)
                {
                    sum += a[i * aRow + p * aDepth] * b[p * bDepth + j * bCol];
                }

                c[i * n + j] = sum;
            }
        }
    }

    /// <summary>FLOP of one call, for the GFLOP/s column.</summary>
    public static double Flop(string layer) => 2.0 * Rows * int.Parse(layer.Split('x')[0]) * int.Parse(layer.Split('x')[1]);
}
