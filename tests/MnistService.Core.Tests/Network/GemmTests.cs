using System.Runtime.Intrinsics.X86;
using MnistService.Core.Network;

namespace MnistService.Core.Tests.Network;

public class GemmTests
{
    public static TheoryData<GemmPath> Paths()
    {
        var paths = new TheoryData<GemmPath> { GemmPath.Scalar };
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            paths.Add(GemmPath.Avx2);
        }

        if (Avx512F.IsSupported)
        {
            paths.Add(GemmPath.Avx512);
        }

        return paths;
    }

    // (rows, inputs, outputs): 1x1, odd sizes, sizes around the register tiles (6, 8, 16, 32), and the tutorial's shapes.
    private static readonly (int Rows, int Inputs, int Outputs)[] Shapes =
    [
        (1, 1, 1), (7, 13, 5), (7, 13, 33), (9, 3, 17), (13, 31, 47), (8, 32, 32), (6, 16, 16), (33, 65, 10),
        (128, 128, 10), (64, 200, 72), (40, 300, 96),
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Forward_matches_the_naive_product_with_bias(GemmPath path)
    {
        var gemm = new Gemm(threads: 2, path);
        foreach (var (m, k, n) in Shapes)
        {
            float[] x = Random(m * k, 1), w = Random(k * n, 2), b = Random(n, 3);
            var y = new float[m * n];
            gemm.Forward(x, w, b, y, m, k, n);
            AssertClose(Naive(m, k, n, (i, p) => x[i * k + p], (p, j) => w[p * n + j], j => b[j]), y, k, $"{path} {m}x{k}x{n}");
            gemm.Forward(x, w, ReadOnlySpan<float>.Empty, y, m, k, n);
            AssertClose(Naive(m, k, n, (i, p) => x[i * k + p], (p, j) => w[p * n + j], _ => 0), y, k, $"{path} {m}x{k}x{n} no bias");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void WeightGradient_matches_the_naive_transposed_product(GemmPath path)
    {
        var gemm = new Gemm(threads: 2, path);
        foreach (var (m, k, n) in Shapes)
        {
            float[] x = Random(m * k, 4), dy = Random(m * n, 5);
            var dw = new float[k * n];
            gemm.WeightGradient(x, dy, dw, m, k, n);
            // dW[i, j] = Σ_r x[r, i]·dy[r, j]
            AssertClose(Naive(k, m, n, (i, r) => x[r * k + i], (r, j) => dy[r * n + j], _ => 0), dw, m, $"{path} {m}x{k}x{n}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void InputGradient_matches_the_naive_product_with_the_transposed_weights(GemmPath path)
    {
        var gemm = new Gemm(threads: 2, path);
        foreach (var (m, k, n) in Shapes)
        {
            float[] dy = Random(m * n, 6), w = Random(k * n, 7);
            var dx = new float[m * k];
            gemm.InputGradient(dy, w, dx, m, k, n);
            // dX[r, i] = Σ_j dy[r, j]·w[i, j]
            AssertClose(Naive(m, n, k, (r, j) => dy[r * n + j], (j, i) => w[i * n + j], _ => 0), dx, n, $"{path} {m}x{k}x{n}");
        }
    }

    [Fact]
    public void Results_are_bit_identical_for_any_thread_count()
    {
        const int m = 128, k = 784, n = 256; // big enough to be split over threads
        float[] x = Random(m * k, 8), w = Random(k * n, 9), b = Random(n, 10), dy = Random(m * n, 11);
        byte[] Run(int threads)
        {
            var gemm = new Gemm(threads);
            var y = new float[m * n];
            var dw = new float[k * n];
            var dx = new float[m * k];
            gemm.Forward(x, w, b, y, m, k, n);
            gemm.WeightGradient(x, dy, dw, m, k, n);
            gemm.InputGradient(dy, w, dx, m, k, n);
            return [.. Bytes(y), .. Bytes(dw), .. Bytes(dx)];
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
        Assert.Equal(one, Run(8));
    }

    [Fact]
    public void A_buffer_smaller_than_its_shape_is_rejected()
    {
        var gemm = new Gemm();
        var e = Assert.Throws<ArgumentException>(() => gemm.Forward(new float[5], new float[6], [], new float[4], 2, 3, 2));
        Assert.Contains("smaller than its shape", e.Message);
    }

    internal static byte[] Bytes(float[] values) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    internal static float[] Random(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = rng.NextFloat(-1, 1);
        }

        return v;
    }

    /// <summary>C[m, n] = bias + A·B with A [m, depth], in double precision: the reference.</summary>
    private static double[] Naive(int m, int depth, int n, Func<int, int, float> a, Func<int, int, float> b, Func<int, float> bias)
    {
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = bias(j);
                for (var p = 0; p < depth; p++)
                {
                    sum += (double)a(i, p) * b(p, j);
                }

                c[i * n + j] = sum;
            }
        }

        return c;
    }

    private static void AssertClose(double[] expected, float[] actual, int depth, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        // Each term is at most 1 in size; float rounding grows about with the depth of the sum.
        var tolerance = 1e-6 * (depth + 1) + 1e-6;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
        }
    }
}
