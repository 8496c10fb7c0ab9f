using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Api.Insight;

/// <summary>
/// A loaded model's classifier as our own network code sees it: the dense layers behind its
/// <c>probabilities</c> output, read from the same bytes ONNX Runtime loaded, for drawing its weights and
/// explaining its answers. A model whose graph is not such a network still serves predictions; it only
/// has <see cref="Unreadable"/> instead.
/// </summary>
public sealed class ModelNetwork
{
    private readonly MlpExplainer? _explainer;

    private ModelNetwork(IReadOnlyList<DenseLayerParameters> layers, MlpExplainer? explainer, string? unreadable)
    {
        Layers = layers;
        _explainer = explainer;
        Unreadable = unreadable;
    }

    /// <summary>The dense layers, first to last (empty when <see cref="Unreadable"/>).</summary>
    public IReadOnlyList<DenseLayerParameters> Layers { get; }

    /// <summary>Why the graph cannot be read as dense layers; null when it can.</summary>
    public string? Unreadable { get; }

    public static ModelNetwork Read(byte[] bytes, string name)
    {
        try
        {
            var layers = OnnxClassifierReader.ReadLayers(bytes, name);
            return new ModelNetwork(layers, new MlpExplainer(layers), null);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return new ModelNetwork([], null, e.Message);
        }
    }

    /// <summary>Layer names as the report and the exporter give them: dense_1, dense_2 ...</summary>
    public static string LayerName(int index) => OnnxModelFormat.LayerName(index);

    /// <exception cref="ModelNotExplainableException">The graph is not one our network code runs.</exception>
    public Explanation Explain(string model, ReadOnlySpan<float> image) =>
        _explainer?.Explain(image) ?? throw new ModelNotExplainableException(model, Unreadable ?? "");
}
