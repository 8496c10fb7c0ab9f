using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Imaging;

/// <summary>
/// Undoes PNG's scanline filters (PNG specification, section 9) in place. Paeth on 4-byte pixels, what
/// browsers write for canvas drawings, is sequential along a row and dominates decoding; consecutive
/// Paeth rows are therefore undone several at once, their dependency chains side by side.
/// </summary>
internal static partial class PngFilters
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Paeth(int a, int b, int c)
    {
        // pa = |b - c|, pb = |a - c|, pc = |a + b - 2c|, without branches on the differences' signs.
        int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - c - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
}
