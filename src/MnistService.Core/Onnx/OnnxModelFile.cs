using MnistService.Core.Network;

namespace MnistService.Core.Onnx;

/// <summary>An ONNX model of ours, read back: the network's parameters, its report and what identifies the file.</summary>
public sealed record OnnxModelFile
{
    /// <summary>The dense layers in order, weights [Inputs, Outputs] row-major as the exporter got them.</summary>
    public required IReadOnlyList<DenseLayerParameters> Layers { get; init; }

    /// <summary>The convolution blocks before the dense layers, image side first; empty for a multi-layer perceptron.</summary>
    public IReadOnlyList<ConvLayerParameters> Convolutions { get; init; } = [];

    /// <summary>The network these parameters make, for inference.</summary>
    public Mlp Network(int threads = 0) => Mlp.FromParameters(Layers, threads, Convolutions);

    /// <summary>The digit detector's layers (the <c>digit_score</c> output), or null for a model without one.</summary>
    public IReadOnlyList<DenseLayerParameters>? Detector { get; init; }

    /// <summary>The detector as Core scores it (the graph's digit_score, from what it reads), or null for a model without one.</summary>
    public DigitDetector? DigitDetector(int threads = 0) => Detector is null || Report.Detector is not { } report
        ? null
        : new DigitDetector(DetectorNetwork.FromParameters(Detector, threads), report.Input,
            report.Input == DetectorInput.Classifier ? Network(threads) : null);

    /// <summary>The evaluation stored under <c>metadata_props["mnist.report"]</c>.</summary>
    public required ModelReport Report { get; init; }

    /// <summary>The report exactly as stored (snake_case JSON).</summary>
    public required string ReportJson { get; init; }

    public required string ProducerName { get; init; }
    public required string ProducerVersion { get; init; }
    public required long IrVersion { get; init; }

    /// <summary>The default-domain (ai.onnx) operator set version.</summary>
    public required long OpsetVersion { get; init; }

    public required long ModelVersion { get; init; }
    public required string GraphName { get; init; }
    public required string DocString { get; init; }

    /// <summary>All metadata_props entries, the report included.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>SHA-256 of the file's bytes, lower-case hex: identifies the exact model.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The file's size in bytes.</summary>
    public required long SizeBytes { get; init; }

    /// <summary>Weights plus biases of all layers.</summary>
    public int ParameterCount => Layers.Sum(l => l.ParameterCount);
}
