using System.Text.Json;
using System.Text.Json.Serialization;

namespace MnistService.Core.Onnx;

/// <summary>
/// The evaluation a model carries inside its ONNX file (metadata key <see cref="MetadataKey"/>).
/// One schema, shared by the trainer that writes it and the service that reads it.
/// JSON names are snake_case, as Keras names its history (<c>val_loss</c>, <c>val_accuracy</c>).
/// </summary>
public sealed record ModelReport
{
    /// <summary>The <c>metadata_props</c> key under which the report is stored.</summary>
    public const string MetadataKey = "mnist.report";

    /// <summary>Version of this schema; bump it when a field changes meaning.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>When the model was written (UTC).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>Every setting the trainer was run with, seed included.</summary>
    public required Hyperparameters Hyperparameters { get; init; }

    public required ArchitectureInfo Architecture { get; init; }

    /// <summary>One entry per finished epoch, in order.</summary>
    public required IReadOnlyList<EpochRecord> History { get; init; }

    /// <summary>The evaluation on the MNIST test set (10,000 images).</summary>
    public required TestResult Test { get; init; }

    public required DatasetInfo Dataset { get; init; }

    /// <summary>The program that wrote the model, e.g. "mnist-train 1.0.0".</summary>
    public string? Producer { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <exception cref="FormatException">The text is not a valid report.</exception>
    public static ModelReport FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelReport>(json, JsonOptions)
                ?? throw new FormatException("The model report is empty (JSON null).");
        }
        catch (JsonException e)
        {
            throw new FormatException($"The model report is not valid JSON for this schema: {e.Message}", e);
        }
    }
}

/// <summary>The trainer's settings, named as its command-line options.</summary>
public sealed record Hyperparameters
{
    public required IReadOnlyList<int> Hidden { get; init; }
    /// <summary>"relu", "sigmoid" or "tanh".</summary>
    public required string Activation { get; init; }
    public required double Dropout { get; init; }
    /// <summary>"adam", "sgd" or "rmsprop".</summary>
    public required string Optimizer { get; init; }
    public required double LearningRate { get; init; }
    /// <summary>SGD momentum (0 = plain SGD); only valid with the sgd optimizer.</summary>
    public double Momentum { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>The maximum number of epochs; early stopping may end sooner.</summary>
    public required int Epochs { get; init; }
    public required int Patience { get; init; }
    public required double ValidationSplit { get; init; }
    /// <summary>"crossentropy" or "mse".</summary>
    public required string Loss { get; init; }
    public required int Seed { get; init; }
    /// <summary>Worker threads used for training (does not change the result).</summary>
    public int Threads { get; init; }
}

/// <summary>The network as Keras's model summary shows it.</summary>
public sealed record ArchitectureInfo
{
    /// <summary>Input features per image (784 = 28 x 28).</summary>
    public required int Inputs { get; init; }
    public required IReadOnlyList<LayerInfo> Layers { get; init; }
    /// <summary>Trainable parameters in all layers (235,146 for the tutorial's model).</summary>
    public required int Parameters { get; init; }
}

/// <param name="Name">Layer name as in the summary, e.g. "dense_1", "dropout".</param>
/// <param name="Kind">"dense" or "dropout".</param>
/// <param name="Units">Output width of the layer.</param>
/// <param name="Activation">"relu", "sigmoid", "tanh", "softmax", or null (dropout).</param>
/// <param name="Parameters">Weights plus biases (0 for dropout).</param>
/// <param name="Rate">Dropout rate, for dropout layers.</param>
public sealed record LayerInfo(string Name, string Kind, int Units, string? Activation, int Parameters, double? Rate = null);

/// <summary>One epoch of training, as in Keras's History.</summary>
public sealed record EpochRecord(int Epoch, double Loss, double Accuracy, double ValLoss, double ValAccuracy, double Seconds);

/// <param name="Confusion">10 rows of 10 counts: rows are the true digit, columns the predicted one.</param>
public sealed record TestResult(double Accuracy, double Loss, int[][] Confusion);

/// <param name="Sha256">SHA-256 of each file's uncompressed content, by file name (without .gz).</param>
public sealed record DatasetInfo(string Name, IReadOnlyDictionary<string, string> Sha256, int Train, int Validation, int Test);
