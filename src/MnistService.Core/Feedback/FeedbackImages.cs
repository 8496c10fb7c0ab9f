using MnistService.Core.Data;

namespace MnistService.Core.Feedback;

/// <summary>
/// Answers as labelled 28x28 digits, MNIST's way: a digit answer is one image; a number answer gives one image per
/// digit when the model split it into as many pieces as the right number has digits (otherwise which piece is
/// which digit is unknown, and it gives none). Written and read as MNIST's training IDX files, so
/// <c>mnist-train train --extra-data DIR</c> reads what <c>mnist-train feedback export --out DIR</c> writes.
/// </summary>
public static class FeedbackImages
{
    public static string ImagesFile => MnistFiles.TrainImages;
    public static string LabelsFile => MnistFiles.TrainLabels;

    /// <summary>The labelled digits of <paramref name="records"/>, in their order; <paramref name="skipped"/> counts the numbers without aligned pieces.</summary>
    public static MnistSet ToDigits(IEnumerable<FeedbackRecord> records, out int skipped)
    {
        var pixels = new List<byte>();
        var labels = new List<byte>();
        skipped = 0;
        foreach (var record in records)
        {
            if (record.Pieces != record.Label.Length)
            {
                skipped++;
                continue;
            }
            pixels.AddRange(record.Pixels);
            labels.AddRange(record.Label.Select(c => (byte)(c - '0')));
        }
        return new MnistSet([.. pixels], [.. labels]);
    }

    /// <summary>Writes <paramref name="digits"/> into <paramref name="directory"/> as IDX files (created if needed; files replaced).</summary>
    /// <exception cref="ArgumentException">There are no digits: an IDX file cannot hold none.</exception>
    public static void Write(string directory, MnistSet digits)
    {
        if (digits.Count == 0)
        {
            throw new ArgumentException("There are no labelled digits to write.");
        }
        // Together: a full disk while the labels are written leaves the old pair, not new images beside old labels.
        IO.AtomicFile.WriteTogether([
            (Path.Combine(directory, ImagesFile), stream => IdxFile.Write(stream, [digits.Count, MnistSet.Rows, MnistSet.Columns], digits.Pixels)),
            (Path.Combine(directory, LabelsFile), stream => IdxFile.Write(stream, [digits.Count], digits.Labels)),
        ]);
    }

    /// <summary>The digits in <paramref name="directory"/>'s IDX files (raw or gzipped).</summary>
    /// <exception cref="FileNotFoundException">A file is missing (named).</exception>
    /// <exception cref="InvalidDataException">The files are not matching IDX arrays of 28x28 digits.</exception>
    public static MnistSet Read(string directory)
    {
        string Find(string name) => MnistFiles.Find(directory, name)
            ?? throw new FileNotFoundException($"The extra data directory {directory} has no {name} (or {name}.gz); mnist-train feedback export writes it.",
                Path.Combine(directory, name));
        var images = Find(ImagesFile);
        var labels = Find(LabelsFile);
        return MnistSet.From(IdxFile.Read(images), IdxFile.Read(labels), images, labels);
    }
}
