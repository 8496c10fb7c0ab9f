using System.Collections.Concurrent;
using System.Text;
using MnistService.Core.Network;

namespace MnistService.Core.Reading;

/// <summary>
/// How likely a candidate piece is one whole digit, read right, judged from the line's ink around it
/// (<see cref="PieceContext"/>): a discriminator of our own network code, <see cref="PieceContext.Size"/> → hidden
/// (relu) → 1 (sigmoid). The classifier and the detector see a piece alone, scaled to 20 pixels, and a fragment of a
/// wide 0, or a 4 with its neighbour's stroke, reads as a digit with confidence; the judge sees that a stroke runs on
/// past the piece's edge. It reads pixels only, so one judge serves every model; it is trained on numbers written with
/// MNIST's training digits by the benchmarks' <c>reader-judge</c> and ships in this assembly
/// (<c>Reading/PieceJudge.bin</c>). Thread-safe.
/// </summary>
public sealed class PieceJudge
{
    private const string ResourceName = "MnistService.Core.Reading.PieceJudge.bin";
    private static readonly byte[] Magic = "MNJUDGE1"u8.ToArray();
    private static readonly Lazy<PieceJudge> ShippedJudge = new(() =>
    {
        using var stream = typeof(PieceJudge).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The assembly lacks its piece judge ({ResourceName}).");
        return Read(stream);
    });

    private readonly ConcurrentBag<DetectorNetwork> _networks = [];

    /// <exception cref="ArgumentException">The layers are not a discriminator of one output reading a <see cref="PieceContext"/> window.</exception>
    public PieceJudge(IReadOnlyList<DenseLayerParameters> layers)
    {
        var network = DetectorNetwork.FromParameters(layers, threads: 1);
        if (network.Inputs != PieceContext.Size || network.Kind != DetectorKind.Discriminator || network.Outputs != 1)
        {
            throw new ArgumentException($"A piece judge reads {PieceContext.Size} values and gives one probability.");
        }
        Layers = layers;
        _networks.Add(network);
    }

    /// <summary>The judge in this assembly.</summary>
    public static PieceJudge Shipped => ShippedJudge.Value;

    public IReadOnlyList<DenseLayerParameters> Layers { get; }

    /// <summary>The probability that each of <paramref name="count"/> windows is one whole digit, into <paramref name="wholeness"/>.</summary>
    public void Score(ReadOnlySpan<float> windows, int count, Span<float> wholeness)
    {
        // Each caller takes a network of its own (their activations are per instance); the weights are copied once each.
        var network = _networks.TryTake(out var free) ? free : DetectorNetwork.FromParameters(Layers, threads: 1);
        try
        {
            network.Score(windows, count, wholeness);
        }
        finally
        {
            _networks.Add(network);
        }
    }

    /// <summary>Writes the judge: "MNJUDGE1", the layer count, then per layer its sizes, activation, weights and bias (little-endian).</summary>
    public void Write(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Layers.Count);
        foreach (var layer in Layers)
        {
            writer.Write(layer.Inputs);
            writer.Write(layer.Outputs);
            writer.Write(layer.Activation);
            foreach (var w in layer.Weights)
            {
                writer.Write(w);
            }
            foreach (var b in layer.Bias)
            {
                writer.Write(b);
            }
        }
    }

    /// <exception cref="InvalidDataException">Not a judge <see cref="Write"/> wrote.</exception>
    public static PieceJudge Read(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not a piece judge: the file does not start with MNJUDGE1.");
            }
            var layers = new DenseLayerParameters[reader.ReadInt32()];
            for (var i = 0; i < layers.Length; i++)
            {
                var (inputs, outputs, activation) = (reader.ReadInt32(), reader.ReadInt32(), reader.ReadString());
                var weights = new float[checked(inputs * outputs)];
                var bias = new float[outputs];
                for (var w = 0; w < weights.Length; w++)
                {
                    weights[w] = reader.ReadSingle();
                }
                for (var b = 0; b < bias.Length; b++)
                {
                    bias[b] = reader.ReadSingle();
                }
                layers[i] = new DenseLayerParameters(inputs, outputs, weights, bias, activation);
            }
            return new PieceJudge(layers);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"Not a valid piece judge: {e.Message}", e);
        }
    }
}
