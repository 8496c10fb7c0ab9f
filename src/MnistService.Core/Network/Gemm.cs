using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Network;

/// <summary>Which micro-kernel a <see cref="Gemm"/> runs.</summary>
public enum GemmPath
{
    /// <summary>Plain C# loops; any CPU. Same results as the vector paths within float rounding.</summary>
    Scalar,
    /// <summary>Vector256 with FMA: a 6x16 register tile.</summary>
    Avx2,
    /// <summary>Vector512 with FMA: an 8x32 register tile.</summary>
    Avx512,
}

/// <summary>
/// Single-precision matrix product C = bias + A·B for the three products a dense layer needs
/// (Y = X·W + b, dW = Xᵀ·dY, dX = dY·Wᵀ), in the style of GotoBLAS/BLIS:
/// A is packed into row panels of MR rows, B into column panels of NR columns (zero-padded, which also
/// turns the transposed operands into plain ones), and a register-blocked micro-kernel computes one
/// MR x NR tile of C at a time with its accumulators in vector registers.
/// <para>
/// Determinism: the tiles of C are distributed over threads, but every element of C is summed by one
/// kernel call in one fixed order (bias first, then p = 0, 1, ..., K-1). The result is therefore
/// bit-identical whatever the thread count or scheduling.
/// </para>
/// An instance owns its packing buffers (grown on first use, then reused: no allocation per batch)
/// and is not thread-safe; each layer has its own.
/// </summary>
public sealed unsafe partial class Gemm
{
    /// <summary>The fastest path this CPU supports.</summary>
    public static GemmPath BestPath { get; } =
        Avx512F.IsSupported ? GemmPath.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmPath.Avx2
        : GemmPath.Scalar;

    private readonly int _mr, _nr;
    private readonly ParallelOptions _parallel;
    private readonly int _threads;
    private float[] _packA = [], _packB = [], _packBias = [];

    // The operands of the current call, kept in fields so that the parallel bodies are cached delegates
    // (a capturing lambda would allocate on every call).
    private float* _a, _b, _c, _bias;
    private int _m, _n, _k, _aRowStride, _aDepthStride, _bDepthStride, _bColStride, _ldc;
    private int _rowTiles, _colPanels, _parts;
    private readonly Action<int> _packBody, _computeBody, _rowBody;

    /// <param name="threads">Worker threads; 0 means all cores.</param>
    public Gemm(int threads = 0, GemmPath? path = null)
    {
        Path = path ?? BestPath;
        if (Path == GemmPath.Avx512 && !Avx512F.IsSupported)
        {
            throw new PlatformNotSupportedException("This CPU has no AVX-512.");
        }

        if (Path == GemmPath.Avx2 && !(Avx2.IsSupported && Fma.IsSupported))
        {
            throw new PlatformNotSupportedException("This CPU has no AVX2/FMA.");
        }

        (_mr, _nr) = Path switch { GemmPath.Avx512 => (8, 32), GemmPath.Avx2 => (6, 16), _ => (4, 8) };
        _threads = threads > 0 ? threads : Environment.ProcessorCount;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = _threads };
        _packBody = PackPart;
        _computeBody = ComputePart;
        _rowBody = RowPart;
    }

    public GemmPath Path { get; }

    /// <summary>Y[rows, outputs] = X[rows, inputs]·W[inputs, outputs] + b (b may be empty: no bias).</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int rows, int inputs, int outputs)
    {
        Check(x.Length >= rows * inputs && w.Length >= inputs * outputs && y.Length >= rows * outputs
              && (bias.IsEmpty || bias.Length >= outputs));
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            Multiply(rows, outputs, inputs, px, inputs, 1, pw, outputs, 1, py, outputs, bias.IsEmpty ? null : pb);
        }
    }

    /// <summary>dW[inputs, outputs] = Xᵀ·dY, with X [rows, inputs] and dY [rows, outputs].</summary>
    public void WeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, int rows, int inputs, int outputs)
    {
        Check(x.Length >= rows * inputs && dy.Length >= rows * outputs && dw.Length >= inputs * outputs);
        fixed (float* px = x, pdy = dy, pdw = dw)
        {
            Multiply(inputs, outputs, rows, px, 1, inputs, pdy, outputs, 1, pdw, outputs, null);
        }
    }

    /// <summary>dX[rows, inputs] = dY·Wᵀ, with dY [rows, outputs] and W [inputs, outputs].</summary>
    public void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int rows, int inputs, int outputs)
    {
        Check(dy.Length >= rows * outputs && w.Length >= inputs * outputs && dx.Length >= rows * inputs);
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            Multiply(rows, inputs, outputs, pdy, outputs, 1, pw, 1, outputs, pdx, inputs, null);
        }
    }

    private static void Check(bool ok)
    {
        if (!ok)
        {
            throw new ArgumentException("A matrix buffer is smaller than its shape.");
        }
    }

    /// <summary>
    /// C[m, n] (row stride ldc) = bias[n] + Σ_p A(i, p)·B(p, j), where A(i, p) = a[i·aRowStride + p·aDepthStride]
    /// and B(p, j) = b[p·bDepthStride + j·bColStride]. The strides express the transposes.
    /// </summary>
    public void Multiply(int m, int n, int k, float* a, int aRowStride, int aDepthStride,
        float* b, int bDepthStride, int bColStride, float* c, int ldc, float* bias)
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        _m = m; _n = n; _k = k; _a = a; _aRowStride = aRowStride; _aDepthStride = aDepthStride;
        _b = b; _bDepthStride = bDepthStride; _bColStride = bColStride; _c = c; _ldc = ldc;
        _rowTiles = (m + _mr - 1) / _mr;
        _colPanels = (n + _nr - 1) / _nr;
        EnsureCapacity(ref _packA, _rowTiles * _mr * Math.Max(k, 1));
        EnsureCapacity(ref _packB, _colPanels * _nr * Math.Max(k, 1));
        EnsureCapacity(ref _packBias, _colPanels * _nr);
        fixed (float* pBias = _packBias)
        {
            if (bias != null)
            {
                new Span<float>(pBias, _packBias.Length).Clear();
                new ReadOnlySpan<float>(bias, n).CopyTo(new Span<float>(pBias, n));
            }
            _bias = bias != null ? pBias : null;

            var work = (long)m * n * k;
            // Below ~0.5 M multiply-adds a thread hand-off costs more than it saves.
            var parallel = work >= 512 * 1024 && _threads > 1;
            if (!parallel)
            {
                _parts = 1;
                for (var t = 0; t < _rowTiles + _colPanels; t++)
                {
                    PackOne(t);
                }

                ComputePart(0);
            }
            else if (_bColStride == 1 && n % _nr == 0 && _rowTiles > 1)
            {
                // Y = X·W and dW = Xᵀ·dY: B is read in place, so parts split the rows and need no shared packing.
                _parts = Math.Min(_threads * 4, _rowTiles);
                Parallel.For(0, _parts, _parallel, _rowBody);
            }
            else
            {
                // dX = dY·Wᵀ: the packed panels of B are shared by all rows, so pack first, then compute.
                _parts = Math.Min(_threads * 4, _rowTiles * _colPanels);
                Parallel.For(0, Math.Min(_threads * 2, _rowTiles + _colPanels), _parallel, _packBody);
                Parallel.For(0, _parts, _parallel, _computeBody);
            }
        }
        _a = _b = _c = _bias = null;
    }

    private static void EnsureCapacity(ref float[] buffer, int size)
    {
        // Pinned so that raw pointers stay valid across the worker threads; allocated once, then reused.
        if (buffer.Length < size)
        {
            buffer = GC.AllocateUninitializedArray<float>(size, pinned: true);
        }
    }

    private void PackPart(int part)
    {
        var total = _rowTiles + _colPanels;
        var parts = Math.Min(_threads * 2, total);
        for (var t = part * total / parts; t < (part + 1) * total / parts; t++)
        {
            PackOne(t);
        }
    }

    /// <summary>Packs row panel t of A (t &lt; rowTiles) or column panel t - rowTiles of B.</summary>
    private void PackOne(int t)
    {
        var k = _k;
        if (t < _rowTiles)
        {
            // panelA[p, r] = A(t·MR + r, p), zero rows past the end.
            var dst = (float*)Unsafe.AsPointer(ref _packA[t * _mr * k]);
            var rows = Math.Min(_mr, _m - t * _mr);
            if (_aRowStride == 1 && rows == _mr)
            {
                // Aᵀ of a row-major matrix (dW = Xᵀ·dY): the MR values of each p are contiguous.
                var src = _a + (long)t * _mr;
                for (var p = 0; p < k; p++)
                {
                    new ReadOnlySpan<float>(src + (long)p * _aDepthStride, _mr).CopyTo(new Span<float>(dst + p * _mr, _mr));
                }

                return;
            }
            for (var r = 0; r < _mr; r++)
            {
                if (r >= rows)
                {
                    for (var p = 0; p < k; p++)
                    {
                        dst[p * _mr + r] = 0f;
                    }

                    continue;
                }
                var src = _a + (long)(t * _mr + r) * _aRowStride;
                var ds = _aDepthStride;
                for (var p = 0; p < k; p++)
                {
                    dst[p * _mr + r] = src[(long)p * ds];
                }
            }
        }
        else
        {
            // panelB[p, c] = B(p, j·NR + c), zero columns past the end.
            var j = t - _rowTiles;
            if (UseBInPlace(j))
            {
                return;
            }

            var dst = (float*)Unsafe.AsPointer(ref _packB[j * _nr * k]);
            var cols = Math.Min(_nr, _n - j * _nr);
            if (_bColStride == 1)
            {
                for (var p = 0; p < k; p++)
                {
                    var src = _b + (long)p * _bDepthStride + j * _nr;
                    var row = dst + p * _nr;
                    for (var c = 0; c < cols; c++)
                    {
                        row[c] = src[c];
                    }

                    for (var c = cols; c < _nr; c++)
                    {
                        row[c] = 0f;
                    }
                }
            }
            else
            {
                for (var c = 0; c < _nr; c++)
                {
                    if (c >= cols)
                    {
                        for (var p = 0; p < k; p++)
                        {
                            dst[p * _nr + c] = 0f;
                        }

                        continue;
                    }
                    var src = _b + (long)(j * _nr + c) * _bColStride;
                    var ds = _bDepthStride;
                    for (var p = 0; p < k; p++)
                    {
                        dst[p * _nr + c] = src[(long)p * ds];
                    }
                }
            }
        }
    }

    /// <summary>
    /// A full column panel of a row-major B (e.g. the weights in Y = X·W) is read where it is, rows
    /// bDepthStride apart: packing it would copy the whole weight matrix every batch for little gain.
    /// </summary>
    private bool UseBInPlace(int panel) => _bColStride == 1 && (panel + 1) * _nr <= _n;

    /// <summary>Computes a fixed, contiguous range of tiles (column panel major, so a thread reuses its B panel).</summary>
    private void ComputePart(int part)
    {
        var tiles = _rowTiles * _colPanels;
        int start = (int)((long)part * tiles / _parts), end = (int)((long)(part + 1) * tiles / _parts);
        var tile = stackalloc float[8 * 32];
        for (var t = start; t < end; t++)
        {
            ComputeTile(t % _rowTiles, t / _rowTiles, tile);
        }
    }

    /// <summary>
    /// One pass per part when every B panel is read in place: the part packs its own A row panels and
    /// computes their whole rows of C, so no thread waits for another's packing.
    /// </summary>
    private void RowPart(int part)
    {
        int start = (int)((long)part * _rowTiles / _parts), end = (int)((long)(part + 1) * _rowTiles / _parts);
        var tile = stackalloc float[8 * 32];
        for (var i = start; i < end; i++)
        {
            PackOne(i);
            for (var j = 0; j < _colPanels; j++)
            {
                ComputeTile(i, j, tile);
            }
        }
    }

    private void ComputeTile(int iTile, int jPanel, float* tile)
    {
        int i0 = iTile * _mr, j0 = jPanel * _nr;
        int rows = Math.Min(_mr, _m - i0), cols = Math.Min(_nr, _n - j0);
        fixed (float* packA = _packA, packB = _packB)
        {
            var a = packA + (long)iTile * _mr * _k;
            var inPlace = UseBInPlace(jPanel);
            var b = inPlace ? _b + j0 : packB + (long)jPanel * _nr * _k;
            var ldb = inPlace ? _bDepthStride : _nr;
            var bias = _bias == null ? null : _bias + j0;
            var full = rows == _mr && cols == _nr;
            var c = full ? _c + (long)i0 * _ldc + j0 : tile;
            var ldc = full ? _ldc : _nr;
            switch (Path)
            {
                case GemmPath.Avx512: Kernel8x32(_k, a, b, ldb, c, ldc, bias); break;
                case GemmPath.Avx2: Kernel6x16(_k, a, b, ldb, c, ldc, bias); break;
                default: KernelScalar(_k, a, b, ldb, c, ldc, bias, _mr, _nr); break;
            }
            if (!full)
            {
                for (var r = 0; r < rows; r++)
                {
                    new ReadOnlySpan<float>(tile + r * _nr, cols).CopyTo(new Span<float>(_c + (long)(i0 + r) * _ldc + j0, cols));
                }
            }
        }
    }
}
