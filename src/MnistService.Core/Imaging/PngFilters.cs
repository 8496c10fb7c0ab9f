using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Imaging;

/// <summary>
/// Undoes PNG's scanline filters (PNG specification, section 9) in place. Paeth on 4-byte pixels, what
/// browsers write for canvas drawings, is sequential along a row and dominates decoding; consecutive
/// Paeth rows are therefore undone several at once, their dependency chains side by side.
/// </summary>
internal static class PngFilters
{
    /// <summary>
    /// Unfilters row <paramref name="y"/> of the inflated image data (rows of 1 filter byte + <paramref name="stride"/>
    /// bytes) below the finished row <paramref name="previous"/> (empty for the first row), and possibly some rows after
    /// it. Returns how many rows are done, 0 for an invalid filter type.
    /// </summary>
    public static int Unfilter(byte[] raw, int y, int height, int stride, ReadOnlySpan<byte> previous, int bpp)
    {
        if (bpp == 4 && !previous.IsEmpty && Vector128.IsHardwareAccelerated && PaethRows(raw, y, height, stride) is var rows and >= 2)
        {
            if (rows == 4)
            {
                UnfilterPaethRgbaQuad(raw, y * (stride + 1) + 1, stride, previous);
            }
            else
            {
                UnfilterPaethRgbaPair(raw.AsSpan(y * (stride + 1) + 1, stride), raw.AsSpan((y + 1) * (stride + 1) + 1, stride), previous);
            }
            return rows;
        }
        var line = raw.AsSpan(y * (stride + 1), stride + 1);
        return Unfilter(line[0], line[1..], previous, bpp) ? 1 : 0;
    }

    /// <summary>Undoes one scanline's filter in place.</summary>
    internal static unsafe bool Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int bpp)
    {
        if (filter > 4)
        {
            return false;
        }
        if (filter == 0 || row.IsEmpty)
        {
            return true;
        }
        var n = row.Length;
        fixed (byte* x = row)
        fixed (byte* up = previous)
        {
            var b = previous.IsEmpty ? null : up; // the row above; absent (all zero) for the first row
            switch (filter)
            {
                case 1: // Sub: x + a
                {
                    var i = bpp is 3 or 4 && Ssse3.IsSupported ? SubPrefixSum(x, n, bpp) : 0;
                    for (i = Math.Max(i, bpp); i < n; i++)
                    {
                        x[i] += x[i - bpp];
                    }
                    break;
                }
                case 2: // Up: x + b
                    if (b is not null)
                    {
                        AddInPlace(row, previous);
                    }
                    break;
                case 3: // Average: x + floor((a + b) / 2)
                    if (b is null)
                    {
                        for (var i = bpp; i < n; i++)
                        {
                            x[i] += (byte)(x[i - bpp] >> 1);
                        }
                    }
                    else
                    {
                        for (var i = 0; i < bpp; i++)
                        {
                            x[i] += (byte)(b[i] >> 1);
                        }
                        for (var i = bpp; i < n; i++)
                        {
                            x[i] += (byte)((x[i - bpp] + b[i]) >> 1);
                        }
                    }
                    break;
                case 4: // Paeth: x + the neighbour (a, b or c) closest to a + b - c
                    if (b is null)
                    {
                        for (var i = bpp; i < n; i++)
                        {
                            x[i] += x[i - bpp]; // Paeth(a, 0, 0) = a
                        }
                    }
                    else
                    {
                        for (var i = 0; i < bpp; i++)
                        {
                            x[i] += b[i]; // Paeth(0, b, 0) = b
                        }
                        if (bpp == 4 && Vector128.IsHardwareAccelerated)
                        {
                            PaethRgba(x, b, n);
                        }
                        else
                        {
                            for (var i = bpp; i < n; i++)
                            {
                                x[i] += Paeth(x[i - bpp], b[i], b[i - bpp]);
                            }
                        }
                    }
                    break;
            }
        }
        return true;
    }

    /// <summary>
    /// Sub for 3- and 4-byte pixels as a running sum of pixels, whole pixels of 16 bytes at a time: within a
    /// vector by adding it to itself shifted by 1, 2 and 4 pixels, across vectors by adding the previous last
    /// pixel. Returns where the scalar loop goes on.
    /// </summary>
    private static unsafe int SubPrefixSum(byte* x, int n, int bpp)
    {
        var i = 0;
        var carry = Vector128<byte>.Zero; // the last finished pixel, repeated
        if (bpp == 4)
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector128.Load(x + i);
                v += Sse2.ShiftLeftLogical128BitLane(v, 4);
                v += Sse2.ShiftLeftLogical128BitLane(v, 8);
                v += carry;
                v.Store(x + i);
                carry = Sse2.Shuffle(v.AsUInt32(), 0xFF).AsByte();
            }
            return i;
        }
        // Five 3-byte pixels per 16-byte load; the 16th byte belongs to the next pixel and is written back as it was.
        var lastPixel = Vector128.Create((byte)12, 13, 14, 12, 13, 14, 12, 13, 14, 12, 13, 14, 12, 13, 14, 0x80);
        var sixteenth = Vector128.Create(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)0xFF);
        for (; i + 16 <= n; i += 15)
        {
            var original = Vector128.Load(x + i);
            var v = original + Sse2.ShiftLeftLogical128BitLane(original, 3);
            v += Sse2.ShiftLeftLogical128BitLane(v, 6);
            v += Sse2.ShiftLeftLogical128BitLane(v, 12);
            v = Vector128.ConditionalSelect(sixteenth, original, v + carry);
            v.Store(x + i);
            carry = Ssse3.Shuffle(v, lastPixel);
        }
        return i;
    }

    private static void AddInPlace(Span<byte> row, ReadOnlySpan<byte> previous)
    {
        var i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var width = System.Numerics.Vector<byte>.Count;
            for (; i + width <= row.Length; i += width)
            {
                var sum = new System.Numerics.Vector<byte>(row[i..]) + new System.Numerics.Vector<byte>(previous[i..]);
                sum.CopyTo(row[i..]);
            }
        }
        for (; i < row.Length; i++)
        {
            row[i] += previous[i];
        }
    }

    /// <summary>
    /// Paeth for 4-byte pixels, the four channels of a pixel at once in 16-bit lanes: the filter is
    /// sequential along the row, but its channels are independent. Same arithmetic as <see cref="Paeth"/>.
    /// </summary>
    private static unsafe void PaethRgba(byte* x, byte* b, int n)
    {
        var a = Widen(x); // the pixel to the left, already unfiltered
        var c = Widen(b);
        for (var i = 4; i + 4 <= n; i += 4)
        {
            // Runs of empty pixels (a drawing's transparent background) stay empty: Paeth(0, 0, 0) + 0 = 0.
            // Skipping them is exact and makes canvas images several times cheaper to unfilter.
            if (Unsafe.ReadUnaligned<uint>(x + i) == 0 && Unsafe.ReadUnaligned<uint>(b + i) == 0 && a == Vector128<short>.Zero)
            {
                var run = ZeroRun(x + i, b + i, n - i) & ~3;
                i += run;
                if (i + 4 > n)
                {
                    break;
                }
                c = Vector128<short>.Zero; // the pixel above the run's last pixel
            }
            var up = Widen(b + i);
            var value = PaethAdd(Widen(x + i), a, up, c);
            Unsafe.WriteUnaligned(x + i, Vector128.Narrow(value, value).AsUInt32().ToScalar());
            a = value;
            c = up;
        }
    }

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Paeth(int a, int b, int c)
    {
        // pa = |b - c|, pb = |a - c|, pc = |a + b - 2c|, without branches on the differences' signs.
        int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - c - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
}
