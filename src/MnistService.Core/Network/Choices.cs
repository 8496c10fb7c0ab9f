using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MnistService.Core.Network;

/// <summary>The activation of the hidden layers (the output layer is always softmax).</summary>
[JsonConverter(typeof(ChoiceJsonConverter<ActivationKind>))]
public enum ActivationKind
{
    [JsonStringEnumMemberName("relu")] Relu,
    [JsonStringEnumMemberName("sigmoid")] Sigmoid,
    [JsonStringEnumMemberName("tanh")] Tanh,
}

/// <summary>The optimizer that turns gradients into parameter updates (see <see cref="Optimizer.Create"/>).</summary>
[JsonConverter(typeof(ChoiceJsonConverter<OptimizerKind>))]
public enum OptimizerKind
{
    [JsonStringEnumMemberName("adam")] Adam,
    [JsonStringEnumMemberName("sgd")] Sgd,
    [JsonStringEnumMemberName("rmsprop")] RmsProp,
}

/// <summary>The training loss on the softmax output (see <see cref="Loss.Create"/>).</summary>
[JsonConverter(typeof(ChoiceJsonConverter<LossKind>))]
public enum LossKind
{
    [JsonStringEnumMemberName("crossentropy")] CrossEntropy,
    [JsonStringEnumMemberName("mse")] Mse,
}

/// <summary>How a model tells digits from non-digits (see <see cref="DetectorNetwork"/>); none = no digit_score output.</summary>
[JsonConverter(typeof(ChoiceJsonConverter<DetectorKind>))]
public enum DetectorKind
{
    [JsonStringEnumMemberName("discriminator")] Discriminator,
    [JsonStringEnumMemberName("autoencoder")] Autoencoder,
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>
/// What a detector network reads: the image's 784 pixels, or the values x·W₁ + b₁ of the classifier's first dense
/// layer before its activation, after any convolution blocks (the product the classifier computes anyway, and what its
/// convolutions found in the image; 128-256 values, so the detector's first layer is 3-6 times smaller).
/// </summary>
[JsonConverter(typeof(ChoiceJsonConverter<DetectorInput>))]
public enum DetectorInput
{
    [JsonStringEnumMemberName("image")] Image,
    [JsonStringEnumMemberName("classifier")] Classifier,
}

/// <summary>
/// The lowercase names of <see cref="ActivationKind"/>, <see cref="OptimizerKind"/> and <see cref="LossKind"/>
/// ("relu", "adam", "crossentropy"): the words of the command line, the job file, the model report and
/// the HTTP API alike, taken from each member's <see cref="JsonStringEnumMemberNameAttribute"/>.
/// </summary>
public static class ChoiceNames
{
    /// <exception cref="ArgumentOutOfRangeException">The value is not a member of the enum.</exception>
    public static string Of<T>(T value) where T : struct, Enum =>
        Names<T>.ByValue.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"Expected one of {string.Join(", ", Names<T>.All)}.");

    /// <summary>Every name, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Names<T>.All;

    /// <summary>The member with exactly this name (lowercase, as <see cref="Of{T}"/> writes it).</summary>
    public static bool TryParse<T>(string? name, out T value) where T : struct, Enum
    {
        value = default;
        return name is not null && Names<T>.ByName.TryGetValue(name, out value);
    }

    private static class Names<T> where T : struct, Enum
    {
        public static readonly IReadOnlyDictionary<T, string> ByValue = typeof(T)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => (T)f.GetValue(null)!, f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name.ToLowerInvariant());
        public static readonly IReadOnlyDictionary<string, T> ByName = ByValue.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        public static readonly IReadOnlyList<string> All = [.. ByValue.Values];
    }
}

/// <summary>
/// Reads and writes a choice as its lowercase name, whatever serializer options are in use (the report's
/// snake_case, the service's camelCase); a number is refused, so <c>"activation": 1</c> never means sigmoid.
/// </summary>
public sealed class ChoiceJsonConverter<T>() : JsonStringEnumConverter<T>(namingPolicy: null, allowIntegerValues: false)
    where T : struct, Enum;
