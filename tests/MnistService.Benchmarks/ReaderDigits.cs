using System.Globalization;
using MnistService.Api.ModelStore;
using MnistService.Core.Imaging;
using MnistService.Core.Reading;
using MnistService.Testing;

namespace MnistService.Benchmarks;

/// <summary>
/// <c>reader-digits [MODEL] [--digits N]</c>: where the number reader loses against the classifier, one digit at a time.
/// Each of the first N MNIST test digits is written alone as a number (<see cref="NumberImages.Make"/>, in each style
/// whose digits stand apart: scaled to the line height, rendered, decoded) and read three ways: its 28x28 original
/// through the preprocessing (what <c>/predict</c> reads from MNIST), the whole rendered image through the
/// preprocessing (<c>/predict</c> on the upload), and <see cref="NumberReader.Read"/> (<c>/predict/sequence</c>).
/// The first gap is the rendering's and the preprocessing's, the second the reader's; the reader's misses are
/// counted by kind (read as two or more digits, or as one wrong digit).
/// </summary>
public static class ReaderDigits
{
    public static void Run(string[] args)
    {
        var count = Math.Clamp(ReaderToolInputs.Option(args, "--digits", MnistTestSet.Labels.Length), 1, MnistTestSet.Labels.Length);
        var loaded = ReaderToolInputs.Load(ReaderToolInputs.ModelPath(args));
        var decoder = ReaderToolInputs.ServiceDecoder();
        foreach (var style in new[] { NumberStyle.Spaced, NumberStyle.Paper, NumberStyle.Dark })
        {
            int original = 0, whole = 0, reader = 0, split = 0, misread = 0;
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, index =>
            {
                var label = MnistTestSet.Labels[index];
                using var mnist = GrayImage.Rent(MnistPreprocessor.Side, MnistPreprocessor.Side, withAlpha: false);
                MnistTestSet.Images[index].CopyTo(mnist.Gray);
                var number = NumberImages.Make(style, [index], new Random(index));
                using var image = decoder.Decode(number.Bytes, out _);
                var text = Read(loaded, image);
                Interlocked.Add(ref original, Predict(loaded, mnist) == label ? 1 : 0);
                Interlocked.Add(ref whole, Predict(loaded, image) == label ? 1 : 0);
                Interlocked.Add(ref reader, text == label.ToString(CultureInfo.InvariantCulture) ? 1 : 0);
                Interlocked.Add(ref split, text.Length > 1 ? 1 : 0);
                Interlocked.Add(ref misread, text.Length == 1 && text[0] - '0' != label ? 1 : 0);
            });
            Console.WriteLine($"{style}: {count} digits; original {Percent(original, count)}, whole image {Percent(whole, count)}, "
                + $"reader {Percent(reader, count)} (read as two or more {split}, as one wrong digit {misread})");
        }
        loaded.Release();
    }

    /// <summary>The digit /predict answers for the image, or -1 when the preprocessing rejects it.</summary>
    private static int Predict(LoadedModel model, GrayImage image)
    {
        var input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
        try
        {
            MnistPreprocessor.Process(image, input);
        }
        catch (ImageRejectedException)
        {
            return -1;
        }
        var probabilities = new float[LoadedModel.Classes];
        model.Predict(input, probabilities);
        return Array.IndexOf(probabilities, probabilities.Max());
    }

    private static string Read(LoadedModel model, GrayImage image)
    {
        try
        {
            return NumberReader.Read(image, model).Text.Replace(" ", "", StringComparison.Ordinal);
        }
        catch (ImageRejectedException)
        {
            return "";
        }
    }

    private static string Percent(int part, int whole) => (100.0 * part / whole).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
