using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Imaging;

/// <summary>Consecutive Paeth rows of 4-byte pixels, undone several at once.</summary>
internal static partial class PngFilters
{
    /// <summary>How many rows from <paramref name="y"/> on (at most 4, 3 counted as 2) use the Paeth filter.</summary>
    private static int PaethRows(byte[] raw, int y, int height, int stride)
    {
        var count = 0;
        while (count < 4 && y + count < height && raw[(y + count) * (stride + 1)] == 4)
        {
            count++;
        }
        return count == 3 ? 2 : count;
    }

    /// <summary>
    /// Paeth-unfilters four consecutive 4-byte-pixel rows (starting at <paramref name="start"/> in
    /// <paramref name="raw"/>, each preceded by its filter byte) below the finished row <paramref name="above"/>.
    /// Row k runs k pixels behind the first, so at each step the four pixels depend only on earlier steps:
    /// four dependency chains side by side. Same results as one row after the other.
    /// </summary>
    private static unsafe void UnfilterPaethRgbaQuad(byte[] raw, int start, int stride, ReadOnlySpan<byte> above)
    {
        var pixels = stride / 4;
        fixed (byte* first = &raw[start])
        fixed (byte* b = above)
        {
            byte* x1 = first, x2 = first + stride + 1, x3 = x2 + stride + 1, x4 = x3 + stride + 1;
            // The first steps, where the later rows have not started yet (pixel p - k < 0).
            var p = 0;
            for (; p < Math.Min(3, pixels); p++)
            {
                QuadStepGuarded(p, pixels, b, x1, x2, x3, x4);
            }
            if (pixels > 3)
            {
                // Before step p: a_k = row k's pixel p - k (k from 1), c_k = the pixel above that one.
                Vector128<short> a1 = Pixel(x1, p - 1), a2 = Pixel(x2, p - 2), a3 = Pixel(x3, p - 3), a4 = Pixel(x4, p - 4);
                Vector128<short> c1 = Pixel(b, p - 1), c2 = Pixel(x1, p - 2), c3 = Pixel(x2, p - 3), c4 = Pixel(x3, p - 4);
                for (; p < pixels; p++)
                {
                    var i = 4 * p;
                    // All four rows empty here (a transparent background): they stay empty, whatever c is.
                    if (((a1 | a2) | (a3 | a4)) == Vector128<short>.Zero
                        && (Unsafe.ReadUnaligned<uint>(x1 + i) | Unsafe.ReadUnaligned<uint>(b + i) | Unsafe.ReadUnaligned<uint>(x2 + i - 4)
                            | Unsafe.ReadUnaligned<uint>(x3 + i - 8) | Unsafe.ReadUnaligned<uint>(x4 + i - 12)) == 0)
                    {
                        p += ZeroRun(x1 + i, b + i, x2 + i - 4, x3 + i - 8, x4 + i - 12, 4 * (pixels - p)) / 4;
                        if (p >= pixels)
                        {
                            break;
                        }
                        // The run's pixels are zero; the state is read back from the rows.
                        (a1, a2, a3, a4) = (Pixel(x1, p - 1), Pixel(x2, p - 2), Pixel(x3, p - 3), Pixel(x4, p - 4));
                        (c1, c2, c3, c4) = (Pixel(b, p - 1), Pixel(x1, p - 2), Pixel(x2, p - 3), Pixel(x3, p - 4));
                        i = 4 * p;
                    }
                    var up = Widen(b + i);
                    var next1 = PaethAdd(Widen(x1 + i), a1, up, c1);
                    var next2 = PaethAdd(Widen(x2 + i - 4), a2, a1, c2);
                    var next3 = PaethAdd(Widen(x3 + i - 8), a3, a2, c3);
                    var next4 = PaethAdd(Widen(x4 + i - 12), a4, a3, c4);
                    Unsafe.WriteUnaligned(x1 + i, PackPixel(next1));
                    Unsafe.WriteUnaligned(x2 + i - 4, PackPixel(next2));
                    Unsafe.WriteUnaligned(x3 + i - 8, PackPixel(next3));
                    Unsafe.WriteUnaligned(x4 + i - 12, PackPixel(next4));
                    (c1, c2, c3, c4) = (up, a1, a2, a3);
                    (a1, a2, a3, a4) = (next1, next2, next3, next4);
                }
            }
            // The last steps, where the earlier rows are done.
            for (p = pixels; p < pixels + 3; p++)
            {
                QuadStepGuarded(p, pixels, b, x1, x2, x3, x4);
            }
        }
    }

    /// <summary>One step of <see cref="UnfilterPaethRgbaQuad"/> for the rows whose pixel p - k exists, state read from memory.</summary>
    private static unsafe void QuadStepGuarded(int p, int pixels, byte* above, byte* x1, byte* x2, byte* x3, byte* x4)
    {
        Span<nint> rows = [(nint)above, (nint)x1, (nint)x2, (nint)x3, (nint)x4];
        for (var k = 1; k <= 4; k++)
        {
            var q = p - (k - 1);
            if (q < 0 || q >= pixels)
            {
                continue;
            }
            byte* row = (byte*)rows[k], up = (byte*)rows[k - 1];
            var value = PaethAdd(Widen(row + 4 * q), Pixel(row, q - 1), Widen(up + 4 * q), Pixel(up, q - 1));
            Unsafe.WriteUnaligned(row + 4 * q, PackPixel(value));
        }
    }

    /// <summary>Pixel <paramref name="index"/> of a row in 16-bit lanes; zero left of the row (PNG's rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<short> Pixel(byte* row, int index) => index >= 0 ? Widen(row + 4 * index) : Vector128<short>.Zero;

    /// <summary>How many bytes from the start are zero in all five rows.</summary>
    private static unsafe int ZeroRun(byte* r1, byte* r2, byte* r3, byte* r4, byte* r5, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                if ((Vector256.Load(r1 + i) | Vector256.Load(r2 + i) | Vector256.Load(r3 + i) | Vector256.Load(r4 + i) | Vector256.Load(r5 + i)) != Vector256<byte>.Zero)
                {
                    break;
                }
            }
        }
        while (i < length && (r1[i] | r2[i] | r3[i] | r4[i] | r5[i]) == 0)
        {
            i++;
        }
        return i;
    }

    /// <summary>
    /// Paeth-unfilters two consecutive 4-byte-pixel rows, <paramref name="first"/> below the finished row
    /// <paramref name="above"/> and <paramref name="second"/> below it, the second one pixel behind the
    /// first: pixel p of the first and p - 1 of the second depend on nothing computed in the same step,
    /// so their two dependency chains run side by side. Same results as one row after the other.
    /// </summary>
    private static unsafe void UnfilterPaethRgbaPair(Span<byte> first, Span<byte> second, ReadOnlySpan<byte> above)
    {
        var n = first.Length;
        fixed (byte* x1 = first)
        fixed (byte* x2 = second)
        fixed (byte* b = above)
        {
            // The first pixel of each row: Paeth(0, b, 0) = b.
            Unsafe.WriteUnaligned(x1, PackPixel((Widen(x1) + Widen(b)) & Vector128.Create((short)0xFF)));
            Unsafe.WriteUnaligned(x2, PackPixel((Widen(x2) + Widen(x1)) & Vector128.Create((short)0xFF)));
            if (n <= 4)
            {
                return;
            }
            // State before step p: a1 = first[p-1], c1 = above[p-1], a2 = second[p-2], c2 = first[p-2].
            var a1 = PaethAdd(Widen(x1 + 4), Widen(x1), Widen(b + 4), Widen(b));
            Unsafe.WriteUnaligned(x1 + 4, PackPixel(a1));
            var c1 = Widen(b + 4);
            var a2 = Widen(x2);
            var c2 = Widen(x1);
            for (var i = 8; i + 4 <= n; i += 4)
            {
                // Both rows empty here (a transparent background): they stay empty, whatever c is.
                if (a1 == Vector128<short>.Zero && a2 == Vector128<short>.Zero
                    && (Unsafe.ReadUnaligned<uint>(x1 + i) | Unsafe.ReadUnaligned<uint>(b + i) | Unsafe.ReadUnaligned<uint>(x2 + i - 4)) == 0)
                {
                    i += ZeroRun(x1 + i, b + i, x2 + i - 4, n - i) & ~3;
                    // first[p-1], above[p-1], second[p-2] and first[p-2] now lie in the run or just before it: zero.
                    c1 = c2 = Vector128<short>.Zero;
                    if (i + 4 > n)
                    {
                        break;
                    }
                }
                var up = Widen(b + i);
                var next1 = PaethAdd(Widen(x1 + i), a1, up, c1);
                var next2 = PaethAdd(Widen(x2 + i - 4), a2, a1, c2);
                Unsafe.WriteUnaligned(x1 + i, PackPixel(next1));
                Unsafe.WriteUnaligned(x2 + i - 4, PackPixel(next2));
                c2 = a1;
                a1 = next1;
                a2 = next2;
                c1 = up;
            }
            // The second row's last pixel.
            var last = n - 4;
            Unsafe.WriteUnaligned(x2 + last, PackPixel(PaethAdd(Widen(x2 + last), a2, a1, c2)));
        }
    }

    /// <summary>filtered + Paeth(a, up, c), per 16-bit lane, the result cut to 8 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> PaethAdd(Vector128<short> filtered, Vector128<short> a, Vector128<short> up, Vector128<short> c)
    {
        // Only a depends on the previous pixel: pa and up - c are ready early, and pc = |(a - c) + (up - c)|
        // keeps the chain through a short.
        var upMinusC = up - c;
        var pa = Vector128.Abs(upMinusC);
        var aMinusC = a - c;
        var pb = Vector128.Abs(aMinusC);
        var pc = Vector128.Abs(aMinusC + upMinusC);
        var chooseA = Vector128.LessThanOrEqual(pa, pb) & Vector128.LessThanOrEqual(pa, pc);
        var predictor = Vector128.ConditionalSelect(chooseA, a, Vector128.ConditionalSelect(Vector128.LessThanOrEqual(pb, pc), up, c));
        return (filtered + predictor) & Vector128.Create((short)0xFF);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint PackPixel(Vector128<short> pixel) => Vector128.Narrow(pixel, pixel).AsUInt32().ToScalar();

    /// <summary>How many bytes from the start are zero in all three rows.</summary>
    private static unsafe int ZeroRun(byte* x, byte* b, byte* z, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                if ((Vector256.Load(x + i) | Vector256.Load(b + i) | Vector256.Load(z + i)) != Vector256<byte>.Zero)
                {
                    break;
                }
            }
        }
        while (i < length && (x[i] | b[i] | z[i]) == 0)
        {
            i++;
        }
        return i;
    }

    /// <summary>How many bytes from the start are zero in both rows.</summary>
    private static unsafe int ZeroRun(byte* x, byte* b, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                if ((Vector256.Load(x + i) | Vector256.Load(b + i)) != Vector256<byte>.Zero)
                {
                    break;
                }
            }
        }
        while (i < length && (x[i] | b[i]) == 0)
        {
            i++;
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<short> Widen(byte* pixel) =>
        Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(pixel)).AsByte()).AsInt16();
}
