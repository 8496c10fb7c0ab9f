using System.Text;

namespace MnistService.Api.Tests.Infrastructure;

/// <summary>Model files for reload tests, made from the committed default model.</summary>
public static class ModelFiles
{
    public static byte[] Default => File.ReadAllBytes(TestPaths.DefaultModel);

    /// <summary>
    /// The default model with one more metadata entry: a valid ONNX file with different bytes (protobuf
    /// merges concatenated messages, so appending a ModelProto.metadata_props field, number 14, adds an entry).
    /// </summary>
    public static byte[] Variant(string tag) => WithMetadata(Default, "test.variant", tag);

    /// <summary>
    /// The default model with its report's test accuracy and creation time replaced (a second
    /// <c>mnist.report</c> entry, which ONNX Runtime reads in place of the first).
    /// </summary>
    public static byte[] WithTestAccuracy(double accuracy, DateTimeOffset created)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Default);
        var report = MnistService.Core.Onnx.ModelReport.FromJson(session.ModelMetadata.CustomMetadataMap[MnistService.Core.Onnx.ModelReport.MetadataKey]);
        var changed = report with { Created = created, Test = report.Test with { Accuracy = accuracy } };
        return WithMetadata(Default, MnistService.Core.Onnx.ModelReport.MetadataKey, changed.ToJson());
    }

    private static byte[] WithMetadata(byte[] model, string name, string text)
    {
        var key = Encoding.UTF8.GetBytes(name);
        var value = Encoding.UTF8.GetBytes(text);
        var entry = new List<byte> { 0x0A };
        entry.AddRange(Varint(key.Length));
        entry.AddRange(key);
        entry.Add(0x12);
        entry.AddRange(Varint(value.Length));
        entry.AddRange(value);
        var field = new List<byte> { (14 << 3) | 2 };
        field.AddRange(Varint(entry.Count));
        field.AddRange(entry);
        return [.. model, .. field];
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
