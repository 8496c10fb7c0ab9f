using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Network;

/// <summary>The micro-kernels: one MR x NR tile of C from a packed row panel of A and a column panel of B.</summary>
public sealed unsafe partial class Gemm
{
    /// <summary>C[8, 32] = bias + Σ_p a[p, 0..8) ⊗ b[p, 0..32) (rows ldb apart): 16 zmm accumulators, 2 loads and 8 broadcasts per 16 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int k, float* a, float* b, int ldb, float* c, int ldc, float* bias)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (bias != null)
        {
            c00 = c10 = c20 = c30 = c40 = c50 = c60 = c70 = Vector512.Load(bias);
            c01 = c11 = c21 = c31 = c41 = c51 = c61 = c71 = Vector512.Load(bias + 16);
        }
        else
        {
            c00 = c10 = c20 = c30 = c40 = c50 = c60 = c70 = Vector512<float>.Zero;
            c01 = c11 = c21 = c31 = c41 = c51 = c61 = c71 = Vector512<float>.Zero;
        }
        for (var p = 0; p < k; p++)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            var ai = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(ai, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(ai, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(ai, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(ai, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ai, b1, c71);
            a += 8; b += ldb;
        }
        c00.Store(c); c01.Store(c + 16); c += ldc;
        c10.Store(c); c11.Store(c + 16); c += ldc;
        c20.Store(c); c21.Store(c + 16); c += ldc;
        c30.Store(c); c31.Store(c + 16); c += ldc;
        c40.Store(c); c41.Store(c + 16); c += ldc;
        c50.Store(c); c51.Store(c + 16); c += ldc;
        c60.Store(c); c61.Store(c + 16); c += ldc;
        c70.Store(c); c71.Store(c + 16);
    }

    /// <summary>C[6, 16] = bias + Σ_p a[p, 0..6) ⊗ b[p, 0..16): 12 ymm accumulators (AVX2 has 16 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int k, float* a, float* b, int ldb, float* c, int ldc, float* bias)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (bias != null)
        {
            c00 = c10 = c20 = c30 = c40 = c50 = Vector256.Load(bias);
            c01 = c11 = c21 = c31 = c41 = c51 = Vector256.Load(bias + 8);
        }
        else
        {
            c00 = c10 = c20 = c30 = c40 = c50 = Vector256<float>.Zero;
            c01 = c11 = c21 = c31 = c41 = c51 = Vector256<float>.Zero;
        }
        for (var p = 0; p < k; p++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            var ai = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(ai, b0, c00); c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(ai, b0, c10); c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(ai, b0, c20); c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(ai, b0, c30); c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(ai, b0, c40); c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(ai, b0, c50); c51 = Fma.MultiplyAdd(ai, b1, c51);
            a += 6; b += ldb;
        }
        c00.Store(c); c01.Store(c + 8); c += ldc;
        c10.Store(c); c11.Store(c + 8); c += ldc;
        c20.Store(c); c21.Store(c + 8); c += ldc;
        c30.Store(c); c31.Store(c + 8); c += ldc;
        c40.Store(c); c41.Store(c + 8); c += ldc;
        c50.Store(c); c51.Store(c + 8);
    }

    /// <summary>The portable fallback: the same packed panels, one multiply and one add per term.</summary>
    private static void KernelScalar(int k, float* a, float* b, int ldb, float* c, int ldc, float* bias, int mr, int nr)
    {
        for (var r = 0; r < mr; r++)
        {
            for (var j = 0; j < nr; j++)
            {
                var sum = bias != null ? bias[j] : 0f;
                for (var p = 0; p < k; p++)
                {
                    sum += a[p * mr + r] * b[(long)p * ldb + j];
                }

                c[r * ldc + j] = sum;
            }
        }
    }
}
