using System.Buffers.Binary;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using MnistService.Core.Data;
using MnistService.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Benchmarks;

/// <summary>
/// The PNG-upload path of <c>POST /predict</c>, per request: our decoder against ImageSharp 2.1.13's
/// (the baseline, same run), zlib inflate alone (the floor any PNG decoder pays), preprocessing alone
/// and both together.
/// <para>
/// Inputs: the bodies of the service benchmark (docs/bench/service/gen.py), made here from the MNIST test
/// set (MNIST_DATA_DIR or ../shared/mnist, through the Core loader) so nothing else is needed: test digit 0
/// enlarged 10x (bilinear) into the alpha channel of a 280x280 RGBA canvas, black strokes on transparency,
/// once with unfiltered rows and once with the Paeth filter on every row (what browsers write, and the
/// costliest filter to undo). The encoder is ImageSharp's at zlib level 6, so the files are not byte-identical
/// to gen.py's, only alike (same pixels, same filters, similar size).
/// </para>
/// </summary>
[Config(typeof(ImageConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class ImageBenchmarks
{
    private readonly ImageDecoder _decoder = new(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384)); // the service's defaults
    private readonly float[] _input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
    private Configuration _imageSharp = null!;
    private byte[] _png = [], _idat = [], _raw = [], _gray = [], _alpha = [];
    private GrayImage _work = null!;

    /// <summary>The PNG filter on every row: None (rows stored as they are) or Paeth.</summary>
    [Params("None", "Paeth")]
    public string Filter { get; set; } = "None";

    [GlobalSetup]
    public void Setup()
    {
        var directory = MnistLocator.Locate().Directory;
        var path = MnistFiles.Find(directory, MnistFiles.TestImages)
            ?? throw new FileNotFoundException($"The MNIST test images are not in {directory}; set MNIST_DATA_DIR.");
        var digit = IdxFile.Read(path).Data.AsSpan(0, 784).ToArray();
        _png = CanvasPng(digit, Filter == "Paeth" ? PngFilterMethod.Paeth : PngFilterMethod.None);
        _idat = IdatPayload(_png);
        _raw = new byte[280 * (280 * 4 + 1)];
        _imageSharp = Configuration.Default.Clone();
        _imageSharp.MaxDegreeOfParallelism = 1; // as the service: requests are the parallelism

        using var decoded = _decoder.Decode(_png, out _);
        _gray = decoded.Gray.ToArray();
        _alpha = decoded.Alpha.ToArray();
        _work = GrayImage.Rent(decoded.Width, decoded.Height, decoded.HasAlpha);
        Console.WriteLine($"// {Filter}: {_png.Length:N0} bytes of PNG, {_idat.Length:N0} of zlib data, alpha {decoded.HasAlpha}");
    }

    [GlobalCleanup]
    public void Cleanup() => _work.Dispose();

    [Benchmark(Baseline = true, Description = "ImageSharp decode")]
    public int ImageSharpDecode()
    {
        using var image = Image.Load<Rgba32>(_imageSharp, _png);
        return image.Width;
    }

    [Benchmark(Description = "our decode")]
    public int Decode()
    {
        using var image = _decoder.Decode(_png, out _);
        return image.Width;
    }

    /// <summary>What a PNG that misses the fast path (interlaced, 16-bit, ...) pays before ImageSharp: one more inflate.</summary>
    [Benchmark(Description = "truncation check (PNG)")]
    public bool CompletenessCheck() => ImageCompleteness.FindDamage(_png, ImageKind.Png) is null;

    [Benchmark(Description = "inflate only (zlib floor)")]
    public int Inflate()
    {
        using var source = new MemoryStream(_idat, writable: false);
        using var zlib = new ZLibStream(source, CompressionMode.Decompress);
        zlib.ReadExactly(_raw);
        return _raw[^1];
    }

    /// <summary>Preprocessing composites in place, so each call starts from a fresh copy (about 5 µs of the time).</summary>
    [Benchmark(Description = "preprocess (copy + Process)")]
    public float Preprocess()
    {
        _gray.CopyTo(_work.Gray);
        _alpha.CopyTo(_work.Alpha);
        MnistPreprocessor.Process(_work, _input);
        return _input[400];
    }

    [Benchmark(Description = "decode + preprocess")]
    public float DecodeAndPreprocess()
    {
        using var image = _decoder.Decode(_png, out _);
        MnistPreprocessor.Process(image, _input);
        return _input[400];
    }

    private static byte[] CanvasPng(byte[] digit, PngFilterMethod filter)
    {
        const int scale = 10, side = 28 * scale;
        using var image = new Image<Rgba32>(side, side);
        for (var y = 0; y < side; y++)
        {
            var (y0, y1, fy) = Bilinear(y, scale);
            for (var x = 0; x < side; x++)
            {
                var (x0, x1, fx) = Bilinear(x, scale);
                var top = digit[y0 * 28 + x0] * (1 - fx) + digit[y0 * 28 + x1] * fx;
                var bottom = digit[y1 * 28 + x0] * (1 - fx) + digit[y1 * 28 + x1] * fx;
                image[x, y] = new Rgba32(0, 0, 0, (byte)Math.Clamp(top * (1 - fy) + bottom * fy, 0, 255));
            }
        }
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder
        {
            ColorType = PngColorType.RgbWithAlpha,
            BitDepth = PngBitDepth.Bit8,
            FilterMethod = filter,
            CompressionLevel = PngCompressionLevel.Level6,
        });
        return stream.ToArray();
    }

    /// <summary>Source pixels and weight for output pixel <paramref name="i"/>: centres aligned, edges clamped (gen.py's bilinear).</summary>
    private static (int I0, int I1, double F) Bilinear(int i, int scale)
    {
        var u = (i + 0.5) / scale - 0.5;
        var floor = Math.Floor(u);
        var i0 = Math.Clamp((int)floor, 0, 27);
        return (i0, Math.Min(i0 + 1, 27), u - floor);
    }

    /// <summary>The concatenated IDAT chunk payloads: the zlib stream.</summary>
    private static byte[] IdatPayload(byte[] png)
    {
        using var idat = new MemoryStream();
        for (var offset = 8; offset + 12 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            if (png.AsSpan(offset + 4, 4).SequenceEqual("IDAT"u8))
            {
                idat.Write(png, offset + 8, length);
            }
            offset += 12 + length;
        }
        return idat.ToArray();
    }

    /// <summary>A short run: the machine is shared and noisy, so medians, and ratios only within one run.</summary>
    /// <summary>Short iterations, median and minimum, allocations, ratios as "x slower": also the config of <see cref="SequenceBenchmarks"/>.</summary>
    internal sealed class ImageConfig : ManualConfig
    {
        public ImageConfig()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)));
            AddColumn(StatisticColumn.Median, StatisticColumn.Min);
            AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
            SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
        }
    }
}
