using System.Numerics;
using System.Runtime.InteropServices;

namespace MnistService.Core.Network;

/// <summary>
/// Small vectorised helpers. Only exact IEEE operations (no fused multiply-add), so a vector lane
/// and the scalar tail give the same bits.
/// </summary>
internal static class Elementwise
{
    /// <summary>sum += values.</summary>
    public static void Add(Span<float> sum, ReadOnlySpan<float> values)
    {
        var i = 0;
        var vs = MemoryMarshal.Cast<float, Vector<float>>(sum);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(values[..sum.Length]);
        for (; i < vs.Length; i++)
        {
            vs[i] += vv[i];
        }

        for (i *= Vector<float>.Count; i < sum.Length; i++)
        {
            sum[i] += values[i];
        }
    }
}
