using System.Text;

namespace MnistService.Api.Tests.Infrastructure;

/// <summary>Model files for reload tests, made from the committed default model.</summary>
public static class ModelFiles
{
    public static byte[] Default => File.ReadAllBytes(Repo.DefaultModel);

    /// <summary>
    /// The default model with one more metadata entry: a valid ONNX file with different bytes (protobuf
    /// merges concatenated messages, so appending a ModelProto.metadata_props field, number 14, adds an entry).
    /// </summary>
    public static byte[] Variant(string tag)
    {
        var key = Encoding.UTF8.GetBytes("test.variant");
        var value = Encoding.UTF8.GetBytes(tag);
        var entry = new List<byte> { 0x0A };
        entry.AddRange(Varint(key.Length));
        entry.AddRange(key);
        entry.Add(0x12);
        entry.AddRange(Varint(value.Length));
        entry.AddRange(value);
        var field = new List<byte> { (14 << 3) | 2 };
        field.AddRange(Varint(entry.Count));
        field.AddRange(entry);
        return [.. Default, .. field];
    }

    /// <summary>Not a model at all.</summary>
    public static byte[] Garbage => Encoding.UTF8.GetBytes("this is not an ONNX model, just text that ends in .onnx\n");

    /// <summary>The first half of the default model, as a writer that stopped half way leaves it.</summary>
    public static byte[] Truncated => Default[..(Default.Length / 2)];

    private static IEnumerable<byte> Varint(int value)
    {
        var v = (uint)value;
        while (v >= 0x80)
        {
            yield return (byte)(v | 0x80);
            v >>= 7;
        }
        yield return (byte)v;
    }
}
