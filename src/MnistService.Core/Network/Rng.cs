namespace MnistService.Core.Network;

/// <summary>
/// Our own seeded generator, xoshiro128** (Blackman and Vigna) seeded through SplitMix64, so that a seed
/// means the same numbers on every machine and .NET version (System.Random's algorithm is not a contract).
/// Used for weight initialisation, shuffling and dropout masks.
/// </summary>
public sealed class Rng
{
    private uint _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        var x = seed;
        ulong a = SplitMix64(ref x), b = SplitMix64(ref x);
        _s0 = (uint)a; _s1 = (uint)(a >> 32); _s2 = (uint)b; _s3 = (uint)(b >> 32);
        if ((_s0 | _s1 | _s2 | _s3) == 0)
        {
            _s0 = 1; // the all-zero state is the one xoshiro cannot leave
        }
    }

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt32()
    {
        var result = uint.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 9;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = uint.RotateLeft(_s3, 11);
        return result;
    }

    /// <summary>Fills <paramref name="destination"/> with the next random words: the same sequence as repeated
    /// <see cref="NextUInt32"/>, with the state kept in registers (dropout draws one per activation).</summary>
    public void NextUInt32s(Span<uint> destination)
    {
        uint s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = uint.RotateLeft(s1 * 5, 7) * 9;
            var t = s1 << 9;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = uint.RotateLeft(s3, 11);
        }
        _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3;
    }

    /// <summary>Uniform in [0, 1), with 24 random bits (every float in that grid is equally likely).</summary>
    public float NextFloat() => (NextUInt32() >> 8) * (1.0f / (1 << 24));

    /// <summary>Uniform in [low, high).</summary>
    public float NextFloat(float low, float high) => low + (high - low) * NextFloat();

    /// <summary>Uniform integer in [0, n), without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "The range must be positive.");
        }

        var m = (ulong)NextUInt32() * (uint)n;
        var low = (uint)m;
        if (low < (uint)n)
        {
            var threshold = (uint)-n % (uint)n;
            while (low < threshold)
            {
                m = (ulong)NextUInt32() * (uint)n;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
