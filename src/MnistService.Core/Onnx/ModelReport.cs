using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MnistService.Core.Network;
using MnistService.Core.Training;

namespace MnistService.Core.Onnx;

/// <summary>
/// The evaluation a model carries inside its ONNX file (metadata key <see cref="MetadataKey"/>).
/// One schema, shared by the trainer that writes it and the service that reads it.
/// Stored with snake_case names, as Keras names its history (<c>val_loss</c>, <c>val_accuracy</c>);
/// printed (the service's <c>/models/{name}</c>, the trainer's <c>--json</c>) with camelCase names.
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
    public required TrainingSettings Hyperparameters { get; init; }

    public required ArchitectureInfo Architecture { get; init; }

    /// <summary>One entry per finished epoch, in order.</summary>
    public required IReadOnlyList<EpochRecord> History { get; init; }

    /// <summary>The evaluation on the MNIST test set (10,000 images).</summary>
    public required TestResult Test { get; init; }

    public required DatasetInfo Dataset { get; init; }

    /// <summary>The digit detector's calibration and figures; null for a model without one (it answers isDigit null).</summary>
    public DetectorReport? Detector { get; init; }

    /// <summary>The program that wrote the model, e.g. "mnist-train 1.0.0".</summary>
    public string? Producer { get; init; }

    /// <summary>The last promotion gate this model went through (<c>mnist-train promote</c>): the figures compared and the decision.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public PromotionComparison? Promotion { get; init; }

    /// <summary>
    /// Every test image the model got wrong (index, true digit, digit read, probabilities), in test-set order;
    /// null in files written before it was recorded.
    /// </summary>
    public IReadOnlyList<MisreadDigit>? Misread { get; init; }

    /// <summary>
    /// The stored form (metadata <see cref="MetadataKey"/>): snake_case, choices as lowercase names ("relu").
    /// Every hyperparameter but the convolutions, momentum, threads, the detector's, the extra data's and the recipe's
    /// (added later; absent, they read as their defaults: no convolutions, for the recipe the tutorial's values) must
    /// be present, so a report that lost one is refused rather than read with defaults.
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RequireStoredHyperparameters } },
    };

    /// <summary>The printed form: camelCase as the service's JSON (<c>learningRate</c>, <c>valAccuracy</c>), the same shape.</summary>
    public static readonly JsonSerializerOptions PrintedJsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The stored JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The JSON the service and the trainer print.</summary>
    public string ToPrintedJson() => JsonSerializer.Serialize(this, PrintedJsonOptions);

    private static void RequireStoredHyperparameters(JsonTypeInfo type)
    {
        if (type.Type != typeof(TrainingSettings))
        {
            return;
        }
        foreach (var property in type.Properties)
        {
            property.IsRequired = property.Name is not ("convolutions" or "momentum" or "threads" or "detector" or "detector_hidden" or "detector_epochs"
                                      or "detector_members" or "extra_data" or "extra_weight")
                                  && !TrainingSetting.RecipeSettings.Any(s => s.JobKey == property.Name);
        }
    }

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

/// <summary>The network as Keras's model summary shows it.</summary>
public sealed record ArchitectureInfo
{
    /// <summary>Input features per image (784 = 28 x 28).</summary>
    public required int Inputs { get; init; }
    public required IReadOnlyList<LayerInfo> Layers { get; init; }
    /// <summary>Trainable parameters in all layers (235,146 for the tutorial's model).</summary>
    public required int Parameters { get; init; }

    /// <summary>
    /// The network's layers as Keras's summary shows them, dense layers named as the ONNX initializers
    /// (dense_1, dense_2 ...) and dropout layers dropout_1 ...
    /// </summary>
    public static ArchitectureInfo Of(Mlp model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var infos = new List<LayerInfo>();
        int dense = 0, dropout = 0, conv = 0, pool = 0;
        foreach (var layer in model.Layers)
        {
            switch (layer)
            {
                case Conv2dLayer c:
                    infos.Add(new LayerInfo($"conv_{++conv}", "conv2d", c.OutChannels, ChoiceNames.Of(model.Spec.Activation), c.ParameterCount));
                    break;
                case MaxPool2dLayer m:
                    infos.Add(new LayerInfo($"max_pooling_{++pool}", "max_pooling2d", m.Channels, null, 0));
                    break;
                case DenseLayer d:
                    infos.Add(new LayerInfo(OnnxModelFormat.LayerName(dense++), "dense", d.Outputs, d.Activation, d.ParameterCount));
                    break;
                case DropoutLayer p:
                    infos.Add(new LayerInfo($"dropout_{++dropout}", "dropout", p.Outputs, null, 0, p.Rate));
                    break;
            }
        }
        return new ArchitectureInfo { Inputs = model.Inputs, Layers = infos, Parameters = model.ParameterCount };
    }
}

/// <param name="Name">Layer name as in the summary, e.g. "dense_1", "dropout".</param>
/// <param name="Kind">"conv2d", "max_pooling2d", "dense" or "dropout".</param>
/// <param name="Units">Output width of the layer; its channels for a convolution or a pooling.</param>
/// <param name="Activation">"relu", "sigmoid", "tanh", "softmax", or null (dropout, pooling).</param>
/// <param name="Parameters">Weights plus biases (0 for dropout and pooling).</param>
/// <param name="Rate">Dropout rate, for dropout layers.</param>
public sealed record LayerInfo(string Name, string Kind, int Units, string? Activation, int Parameters, double? Rate = null);

/// <param name="Confusion">10 rows of 10 counts: rows are the true digit, columns the predicted one.</param>
public sealed record TestResult(double Accuracy, double Loss, int[][] Confusion)
{
    /// <summary>The part of an evaluation the report stores.</summary>
    public static TestResult Of(Evaluation evaluation) =>
        new(evaluation.Accuracy, evaluation.Loss, evaluation.Confusion.Select(row => (int[])row.Clone()).ToArray());
}

/// <param name="Sha256">SHA-256 of each file's uncompressed content, by file name (without .gz).</param>
/// <param name="Extra">Extra training images (<see cref="TrainingSettings.ExtraData"/>) before their weight; 0 without.</param>
public sealed record DatasetInfo(string Name, IReadOnlyDictionary<string, string> Sha256, int Train, int Validation, int Test, int Extra = 0);
