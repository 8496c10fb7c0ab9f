using System.Reflection;

namespace MnistService.Core.Onnx;

/// <summary>What the exporter writes besides the weights and the report.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>ModelProto.producer_name.</summary>
    public string ProducerName { get; init; } = OnnxModelFormat.DefaultProducerName;

    /// <summary>ModelProto.producer_version; by default the version of this library (without the commit hash).</summary>
    public string ProducerVersion { get; init; } = LibraryVersion;

    /// <summary>ModelProto.model_version: the version of this model, for the service's model listing.</summary>
    public long ModelVersion { get; init; } = 1;

    /// <summary>GraphProto.name.</summary>
    public string GraphName { get; init; } = "mnist_mlp";

    /// <summary>ModelProto.doc_string; null describes the network, its input and output, and its test accuracy.</summary>
    public string? DocString { get; init; }

    /// <summary>The informational version of MnistService.Core, e.g. "1.0.0".</summary>
    public static string LibraryVersion { get; } = ReadLibraryVersion();

    private static string ReadLibraryVersion()
    {
        var assembly = typeof(OnnxExportOptions).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString();
        // SourceLink appends "+<commit>"; leave it out so a rebuild from another commit writes the same bytes.
        return version is null ? "0.0.0" : version.Split('+')[0];
    }
}
