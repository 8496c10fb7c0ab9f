namespace MnistService.Core.Onnx;

/// <summary>
/// The shape of every model we write: the names, sizes and versions the exporter uses, the reader
/// checks and the service binds to. The graph is
/// <c>image [N,1,28,28] → Flatten → (Gemm → activation) per layer → probabilities [N,10]</c>.
/// </summary>
public static class OnnxModelFormat
{
    /// <summary>The graph input: float32 [N,1,28,28], pixels in [0,1], white ink on black as in MNIST.</summary>
    public const string InputName = "image";

    /// <summary>The graph output: float32 [N,10], softmax probabilities of the digits 0-9.</summary>
    public const string OutputName = "probabilities";

    /// <summary>
    /// The detector's graph output, when the model has one: float32 [N], higher = more digit-like (the discriminators'
    /// averaged probability, or the negative mean squared error of an autoencoder's reconstruction of the image).
    /// </summary>
    public const string DigitScoreName = "digit_score";

    /// <summary>A model file's identity in answers and reports: the SHA-256 of its bytes, lower-case hex.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>The symbolic name of the batch dimension, so one model serves any batch size.</summary>
    public const string BatchDimension = "N";

    public const int ImageHeight = 28;
    public const int ImageWidth = 28;

    /// <summary>Pixels per image, the width of the first dense layer's input (28 x 28).</summary>
    public const int InputFeatures = ImageHeight * ImageWidth;

    /// <summary>The ten digits.</summary>
    public const int Classes = 10;

    /// <summary>ONNX IR version 8 (ONNX 1.10+), so older runtimes and tools open our files.</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set we write (Gemm, Flatten, Relu... as of opset 13).</summary>
    public const long OpsetVersion = 13;

    /// <summary>The oldest and newest default-domain opset the reader accepts (all agree on our operators).</summary>
    public const long MinOpsetVersion = 13;
    public const long MaxOpsetVersion = 17;

    public const string DefaultProducerName = "mnist-train";

    /// <summary>The input shape with the batch dimension as -1, as ONNX Runtime reports it.</summary>
    public static ReadOnlySpan<long> InputShape => [-1, 1, ImageHeight, ImageWidth];

    /// <summary>Our activation names (as in <see cref="Network.DenseLayerParameters.Activation"/>) and their ONNX operators.</summary>
    public static string OperatorOf(string activation) => activation switch
    {
        "relu" => "Relu",
        "sigmoid" => "Sigmoid",
        "tanh" => "Tanh",
        "softmax" => "Softmax",
        _ => throw new ArgumentException(
            $"Unknown activation '{activation}'; expected relu, sigmoid, tanh (hidden layers) or softmax (output layer)."),
    };

    internal static string? ActivationOf(string onnxOperator) => onnxOperator switch
    {
        "Relu" => "relu",
        "Sigmoid" => "sigmoid",
        "Tanh" => "tanh",
        "Softmax" => "softmax",
        _ => null,
    };

    /// <summary>Initializer names, Keras style: dense_1.weight, dense_1.bias, dense_2.weight ...</summary>
    public static string LayerName(int index) => $"dense_{index + 1}";

    /// <summary>The detector's initializer names: detector_1.weight, detector_1.bias ...</summary>
    public static string DetectorLayerName(int index) => $"detector_{index + 1}";
}
