using Google.Protobuf;
using MnistService.Core.IO;

namespace MnistService.Core.Onnx;

/// <summary>
/// Replaces the report inside a model file and leaves every other byte's meaning alone (graph, weights, other
/// metadata), so a note added after training (the promotion gate's comparison) cannot change what the model computes.
/// </summary>
public static class ModelReportRewriter
{
    /// <summary>Reads the file's report, lets <paramref name="change"/> make the new one, and writes the file atomically.</summary>
    /// <exception cref="FormatException">The file is not one of our models.</exception>
    public static ModelReport Rewrite(string path, Func<ModelReport, ModelReport> change)
    {
        var bytes = File.ReadAllBytes(path);
        var report = change(OnnxModelReader.Read(bytes, path).Report);
        var model = ModelProto.Parser.ParseFrom(bytes);
        // Readers take the last entry of a key; the rewritten file keeps one.
        var entry = model.MetadataProps.Last(p => p.Key == ModelReport.MetadataKey);
        foreach (var older in model.MetadataProps.Where(p => p.Key == ModelReport.MetadataKey && !ReferenceEquals(p, entry)).ToList())
        {
            model.MetadataProps.Remove(older);
        }
        entry.Value = report.ToJson();
        AtomicFile.Write(path, model.WriteTo);
        return report;
    }
}
