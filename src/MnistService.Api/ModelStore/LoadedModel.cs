using System.Text.Json;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML.OnnxRuntime;
using MnistService.Api.Insight;
using MnistService.Core.Onnx;

namespace MnistService.Api.ModelStore;

/// <summary>
/// One ONNX model in memory: its session, what its file says about it, and a reference count, so
/// that a model swapped out by a reload is disposed only after the last request using it finished.
/// Immutable apart from the count.
/// </summary>
public sealed partial class LoadedModel
{
    public const int InputSize = 28 * 28;
    public const int Classes = 10;

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _inputShape;
    private readonly ObjectPool<InferenceBuffers> _buffers;
    private int _references = 1; // the snapshot's own reference

    private LoadedModel(string name, string path, ModelFileStamp stamp, string sha256, InferenceSession session,
        ModelReport? report, string? producer)
    {
        Name = name;
        Path = path;
        Stamp = stamp;
        Sha256 = sha256;
        _session = session;
        Report = report;
        Producer = producer;
        LoadedAt = DateTimeOffset.UtcNow;
        var input = session.InputMetadata.Single();
        _inputNames = [input.Key];
        HasDigitScore = session.OutputMetadata.ContainsKey(OnnxModelFormat.DigitScoreName);
        _outputNames = HasDigitScore
            ? [session.OutputMetadata.Keys.Single(k => k != OnnxModelFormat.DigitScoreName), OnnxModelFormat.DigitScoreName]
            : [session.OutputMetadata.Single().Key];
        _inputShape = input.Value.Dimensions.Select(d => d < 0 ? 1L : d).ToArray();
        _inputShape[0] = 1;
        // T is IDisposable, so the provider hands out a pool that disposes what it drops and holds.
        _buffers = new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 4 }
            .Create(new BuffersPolicy(_inputShape, HasDigitScore));
    }

    /// <summary>Whether the graph has the detector's <c>digit_score</c> output.</summary>
    public bool HasDigitScore { get; }

    /// <summary>The score below which an image is not a digit (the report's detector section); null without a detector.</summary>
    public double? DigitThreshold => HasDigitScore ? Report?.Detector?.Threshold : null;

    public string Name { get; }
    public string Path { get; }
    public ModelFileStamp Stamp { get; }
    public string Sha256 { get; }
    public ModelReport? Report { get; }
    public string? Producer { get; }
    public DateTimeOffset LoadedAt { get; }

    /// <summary>The same file's classifier as our network code reads it (weights, explanations).</summary>
    public required ModelNetwork Network { get; init; }

    /// <summary>
    /// Creates the session from the file's bytes (so the hash is of exactly what was loaded) and checks
    /// that the graph is an MNIST classifier: one float input of 784 values, one float output of 10, and
    /// that it answers a known digit with ten probabilities (<see cref="ModelWarmUp"/>).
    /// </summary>
    /// <param name="sha256">The bytes' SHA-256 when the caller has it (<see cref="OnnxModelFormat.Sha256"/>); computed here otherwise.</param>
    /// <exception cref="InvalidDataException">The bytes are not a usable model.</exception>
    public static LoadedModel Load(string name, string path, ModelFileStamp stamp, byte[] bytes, ModelsOptions options, string? sha256 = null)
    {
        sha256 ??= OnnxModelFormat.Sha256(bytes);
        InferenceSession session;
        try
        {
            using var sessionOptions = new Microsoft.ML.OnnxRuntime.SessionOptions
            {
                IntraOpNumThreads = options.IntraOpThreads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            session = new InferenceSession(bytes, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"ONNX Runtime cannot load the file: {e.Message}", e);
        }

        LoadedModel? model = null;
        try
        {
            CheckSignature(session);
            ModelReport? report = null;
            if (session.ModelMetadata.CustomMetadataMap.TryGetValue(ModelReport.MetadataKey, out var json))
            {
                report = ModelReport.FromJson(json);
                CheckReport(report);
            }
            var producer = session.ModelMetadata.ProducerName;
            model = new LoadedModel(name, path, stamp, sha256, session, report, string.IsNullOrEmpty(producer) ? null : producer)
            {
                Network = ModelNetwork.Read(bytes, name),
            };
            model.WarmUp();
            return model;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or JsonException)
        {
            if (model is null)
            {
                session.Dispose();
            }
            else
            {
                model.Release();
            }
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>
    /// The known digit, once as ONNX Runtime shapes the answer and once through the serving path (pooled,
    /// pinned buffers), so a model that would fail or answer nonsense on its first request never serves.
    /// </summary>
    /// <exception cref="InvalidDataException">It fails at inference or its answer is not ten probabilities.</exception>
    private void WarmUp()
    {
        ModelWarmUp.Check(_session, _inputShape);
        var probabilities = new float[Classes];
        try
        {
            Predict(ModelWarmUp.KnownDigit, probabilities);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"The model fails at inference on a test digit: {e.Message}", e);
        }
        ModelWarmUp.CheckProbabilities(probabilities);
    }

    /// <summary>
    /// One float input of 784 values per image; one float output [N,10], and optionally the detector's
    /// <c>digit_score</c> [N] beside it.
    /// </summary>
    private static void CheckSignature(InferenceSession session)
    {
        var outputs = session.OutputMetadata;
        var scored = outputs.TryGetValue(OnnxModelFormat.DigitScoreName, out var score);
        if (session.InputMetadata.Count != 1 || outputs.Count != (scored ? 2 : 1))
        {
            throw new InvalidDataException(
                $"The model has {session.InputMetadata.Count} inputs and {outputs.Count} outputs; one input and one output (besides '{OnnxModelFormat.DigitScoreName}') are expected.");
        }
        var input = session.InputMetadata.Single().Value;
        var output = outputs.Single(o => o.Key != OnnxModelFormat.DigitScoreName).Value;
        if (input.ElementType != typeof(float) || output.ElementType != typeof(float) || (scored && score!.ElementType != typeof(float)))
        {
            throw new InvalidDataException("The model's input and outputs must be float32 tensors.");
        }
        if (input.Dimensions.Skip(1).Aggregate(1L, (a, d) => a * d) != InputSize)
        {
            throw new InvalidDataException($"The input shape [{string.Join(',', input.Dimensions)}] does not hold 28x28 values per image.");
        }
        if (output.Dimensions.Length != 2 || output.Dimensions[1] != Classes)
        {
            throw new InvalidDataException($"The output shape [{string.Join(',', output.Dimensions)}] is not [N,10].");
        }
        if (scored && score!.Dimensions.Length != 1)
        {
            throw new InvalidDataException($"The '{OnnxModelFormat.DigitScoreName}' shape [{string.Join(',', score.Dimensions)}] is not [N].");
        }
    }

    private static void CheckReport(ModelReport report)
    {
        var confusion = report.Test.Confusion;
        if (confusion is null || confusion.Length != Classes || confusion.Any(row => row is null || row.Length != Classes))
        {
            throw new InvalidDataException("The report's test confusion matrix is not 10x10.");
        }
    }

    /// <summary>Takes a reference; false when the model has already been released for good.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Drops a reference; the last one disposes the session.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _session.Dispose();
            (_buffers as IDisposable)?.Dispose();
        }
    }

    internal bool IsDisposed => Volatile.Read(ref _references) == 0;

    /// <summary>
    /// Runs one image (784 values in [0,1], MNIST polarity) through the network. Input and output
    /// tensors are pooled, pinned buffers, so a prediction allocates nothing on the native side.
    /// The caller must hold a reference (see <see cref="ModelRepository.Acquire"/>).
    /// </summary>
    /// <returns>The detector's digit_score, or null for a model without one.</returns>
    public float? Predict(ReadOnlySpan<float> image, Span<float> probabilities)
    {
        if (image.Length != InputSize || probabilities.Length != Classes)
        {
            throw new ArgumentException("Expected 784 inputs and 10 outputs.");
        }
        var buffers = _buffers.Get();
        try
        {
            image.CopyTo(buffers.Input);
            _session.Run(buffers.RunOptions, _inputNames, buffers.InputValues, _outputNames, buffers.OutputValues);
            buffers.Output.CopyTo(probabilities);
            return HasDigitScore ? buffers.DigitScore[0] : null;
        }
        finally
        {
            _buffers.Return(buffers);
        }
    }

    /// <summary>Pinned input and output tensors (the digit score's too, when the model has one), reused across predictions.</summary>
    private sealed class InferenceBuffers : IDisposable
    {
        public InferenceBuffers(long[] inputShape, bool digitScore)
        {
            InputValues = [OrtValue.CreateTensorValueFromMemory(Input, inputShape)];
            OutputValues = digitScore
                ? [OrtValue.CreateTensorValueFromMemory(Output, [1, Classes]), OrtValue.CreateTensorValueFromMemory(DigitScore, [1])]
                : [OrtValue.CreateTensorValueFromMemory(Output, [1, Classes])];
        }

        public float[] Input { get; } = new float[InputSize];
        public float[] Output { get; } = new float[Classes];
        public float[] DigitScore { get; } = new float[1];
        public OrtValue[] InputValues { get; }
        public OrtValue[] OutputValues { get; }
        public RunOptions RunOptions { get; } = new();

        public void Dispose()
        {
            InputValues[0].Dispose();
            foreach (var output in OutputValues)
            {
                output.Dispose();
            }
            RunOptions.Dispose();
        }
    }

    private sealed class BuffersPolicy(long[] inputShape, bool digitScore) : PooledObjectPolicy<InferenceBuffers>
    {
        public override InferenceBuffers Create() => new(inputShape, digitScore);
        public override bool Return(InferenceBuffers obj) => true;
    }
}
