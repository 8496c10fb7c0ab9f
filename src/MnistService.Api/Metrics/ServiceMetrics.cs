using MnistService.Core.Imaging;
using Prometheus;

namespace MnistService.Api.Metrics;

/// <summary>
/// The service's own Prometheus metrics of predictions (HTTP metrics come from prometheus-net's middleware,
/// the model store's from <see cref="ModelStore.ModelStoreMetrics"/>).
/// </summary>
public static class ServiceMetrics
{
    // 50 µs .. ~100 ms: a single-image inference and its preprocessing live at the low end.
    private static readonly double[] FastBuckets = Histogram.ExponentialBuckets(0.00005, 2, 12);

    public static readonly Histogram InferenceSeconds = Prometheus.Metrics.CreateHistogram(
        "mnist_inference_duration_seconds", "Time ONNX Runtime takes for one prediction, per model.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = FastBuckets });

    public static readonly Histogram DecodeSeconds = Prometheus.Metrics.CreateHistogram(
        "mnist_image_decode_duration_seconds", "Time to decode an uploaded image, per decoder (png: ours, every PNG; imagesharp: the other formats).",
        new HistogramConfiguration { LabelNames = ["decoder"], Buckets = FastBuckets });

    public static readonly Histogram PreprocessSeconds = Prometheus.Metrics.CreateHistogram(
        "mnist_preprocess_duration_seconds", "Time to turn a decoded image into the network's 28x28 input.",
        new HistogramConfiguration { Buckets = FastBuckets });

    public static readonly Counter Predictions = Prometheus.Metrics.CreateCounter(
        "mnist_predictions_total", "Predictions served, per model and predicted digit.",
        new CounterConfiguration { LabelNames = ["model", "digit"] });

    public static readonly Counter NonDigits = Prometheus.Metrics.CreateCounter(
        "mnist_non_digits_total", "Predictions whose image the model's detector did not take for a digit (isDigit false), per model.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter SequenceRequests = Prometheus.Metrics.CreateCounter(
        "mnist_sequence_requests_total", "Numbers read by POST /predict/sequence, per model.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Histogram SequenceDigits = Prometheus.Metrics.CreateHistogram(
        "mnist_sequence_digits", "Digits read per POST /predict/sequence answer (at most 64).",
        new HistogramConfiguration { Buckets = [1, 2, 4, 6, 8, 10, 12, 16, 24, 32, 48, 64] });

    public static readonly Gauge DecodedPixelsInFlight = Prometheus.Metrics.CreateGauge(
        "mnist_decoded_pixels_in_flight", "Decoded pixels reserved by the images being decoded now (at most Limits:MaxDecodedPixelsInFlight, unless one image is larger).");

    public static readonly Counter DecodesRefused = Prometheus.Metrics.CreateCounter(
        "mnist_decodes_refused_total", "Images answered 503 instead of decoded: no room in the decoded-pixel budget in time (budget), or memory ran out while decoding (memory).",
        new CounterConfiguration { LabelNames = ["reason"] });

    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public static string DigitLabel(int digit) => Digits[digit];

    /// <summary>Adds <paramref name="pixels"/> to <see cref="DecodedPixelsInFlight"/> until disposed.</summary>
    public static PixelsInFlight TrackDecodedPixels(long pixels) => new(pixels);

    public readonly struct PixelsInFlight : IDisposable
    {
        private readonly long _pixels;

        internal PixelsInFlight(long pixels)
        {
            _pixels = pixels;
            DecodedPixelsInFlight.Inc(pixels);
        }

        public void Dispose() => DecodedPixelsInFlight.Dec(_pixels);
    }

    /// <summary>The <c>decoder</c> label of <see cref="DecodeSeconds"/>.</summary>
    public static string DecoderLabel(ImageDecodePath path) => path == ImageDecodePath.Png ? "png" : "imagesharp";
}
