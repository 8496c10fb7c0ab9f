using System.Text;
using MnistService.Core.Onnx;

namespace MnistService.Testing;

/// <summary>Model files for reload and swap tests, made from the committed default model.</summary>
public static class ModelFiles
{
    public static byte[] Default => File.ReadAllBytes(Repo.DefaultModel);

    /// <summary>
    /// The default model with one more metadata entry: a valid ONNX file with different bytes (protobuf
    /// merges concatenated messages, so appending a field adds an entry).
    /// </summary>
    public static byte[] Variant(string tag) => [.. Default, .. MetadataEntry("test.variant", tag)];

    /// <summary>
    /// The default model with its report's test accuracy and creation time replaced (a second
    /// <c>mnist.report</c> entry, which ONNX Runtime and our reader take in place of the first).
    /// </summary>
    public static byte[] WithTestAccuracy(double accuracy, DateTimeOffset created)
    {
        var report = OnnxModelReader.Read(Default).Report;
        var changed = report with { Created = created, Test = report.Test with { Accuracy = accuracy } };
        return [.. Default, .. MetadataEntry(ModelReport.MetadataKey, changed.ToJson())];
    }

    /// <summary>
    /// The model without its metadata (no report): as a file exported by another tool, with the same graph.
    /// Walks the top-level protobuf fields of the ModelProto and drops metadata_props (field 14).
    /// </summary>
    public static byte[] WithoutMetadata(byte[] model)
    {
        var kept = new List<byte>();
        var at = 0;
        while (at < model.Length)
        {
            var start = at;
            var tag = ReadVarint(model, ref at);
            var end = (tag & 7) switch
            {
                0 => SkipVarint(model, at),
                1 => at + 8,
                2 => (int)ReadVarint(model, ref at) + at,
                5 => at + 4,
                _ => throw new InvalidDataException($"Unexpected protobuf wire type {tag & 7} at byte {start}."),
            };
            if (tag >> 3 != 14)
            {
                kept.AddRange(model.AsSpan(start, end - start));
            }

            at = end;
        }

        return [.. kept];
    }

    private static ulong ReadVarint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    private static int SkipVarint(byte[] bytes, int at)
    {
        ReadVarint(bytes, ref at);
        return at;
    }

    /// <summary>Not a model at all.</summary>
    public static byte[] Garbage => Encoding.UTF8.GetBytes("this is not an ONNX model, just text that ends in .onnx\n");

    /// <summary>The first half of the default model, as a writer that stopped half way leaves it.</summary>
    public static byte[] Truncated => Default[..(Default.Length / 2)];

    /// <summary>
    /// A ModelProto.metadata_props entry (field 14) as protobuf bytes. Fields may come in any order, so it
    /// can go before or after a model's own bytes.
    /// </summary>
    public static byte[] MetadataEntry(string key, string value)
    {
        var k = Encoding.UTF8.GetBytes(key);
        var v = Encoding.UTF8.GetBytes(value);
        byte[] entry = [0x0A, .. Varint(k.Length), .. k, 0x12, .. Varint(v.Length), .. v];
        return [(14 << 3) | 2, .. Varint(entry.Length), .. entry];
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        var v = (uint)value;
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }
        bytes.Add((byte)v);
        return [.. bytes];
    }
}
