using System.Globalization;
using MnistService.Api.ModelStore;
using MnistService.Api.Predictions;
using MnistService.Core.Imaging;
using MnistService.Testing;

namespace MnistService.Benchmarks;

/// <summary>What the number reader's tools (<c>reader-weights</c>, <c>reader-judge</c>, <c>reader-digits</c>) read from their arguments and load alike.</summary>
public static class ReaderToolInputs
{
    /// <summary>The model named first, else the committed default model.</summary>
    public static string ModelPath(string[] args) =>
        args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : Repo.DefaultModel;

    /// <summary>The value after <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    /// <exception cref="ArgumentException">The option is last, with no value.</exception>
    public static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i < 0 ? fallback : i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} needs a value.");
    }

    public static int Option(string[] args, string name, int fallback) =>
        int.Parse(Option(args, name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    /// <summary>The model at <paramref name="path"/>, loaded as the service loads it.</summary>
    public static LoadedModel Load(string path)
    {
        var file = new FileInfo(path);
        return LoadedModel.Load("model", file.FullName, ModelFileStamp.Of(file), File.ReadAllBytes(file.FullName), new ModelsOptions());
    }

    /// <summary>A decoder with the service's default limits.</summary>
    public static ImageDecoder ServiceDecoder()
    {
        var limits = new LimitsOptions();
        return new ImageDecoder(new ImageDecodeLimits(limits.MaxImagePixels, limits.MaxImageSide));
    }
}
