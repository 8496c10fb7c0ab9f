namespace MnistService.Core.Data;

/// <summary>
/// Images and labels of one MNIST split. <see cref="Pixels"/> holds the raw bytes (0 = background,
/// 255 = ink), <see cref="Images"/> the same scaled to [0,1] as the network takes them.
/// </summary>
public sealed class MnistSet
{
    public const int Rows = 28;
    public const int Columns = 28;
    public const int ImageSize = Rows * Columns;
    public const int Classes = 10;

    public MnistSet(byte[] pixels, byte[] labels)
    {
        if (pixels.Length != labels.Length * ImageSize)
        {
            throw new ArgumentException($"{pixels.Length} pixels do not make {labels.Length} images of {Rows}x{Columns}.");
        }

        foreach (var label in labels)
        {
            if (label >= Classes)
            {
                throw new ArgumentException($"Label {label} is not a digit 0-9.");
            }
        }

        Pixels = pixels;
        Labels = labels;
        Images = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            Images[i] = pixels[i] / 255f;
        }
    }

    public byte[] Pixels { get; }
    public float[] Images { get; }
    public byte[] Labels { get; }
    public int Count => Labels.Length;

    public ReadOnlySpan<byte> PixelsOf(int index) => Pixels.AsSpan(index * ImageSize, ImageSize);

    /// <summary>The first <paramref name="count"/> images (for quick runs and tests).</summary>
    public MnistSet Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        return new MnistSet(Pixels[..(count * ImageSize)], Labels[..count]);
    }

    /// <summary>Makes a split from an images array and a labels array, checking they belong together.</summary>
    public static MnistSet From(IdxArray images, IdxArray labels, string imagesName = "images", string labelsName = "labels")
    {
        if (images.Dimensions is not [_, Rows, Columns])
        {
            throw new InvalidDataException($"{imagesName}: expected images of {Rows}x{Columns}, found dimensions {string.Join('x', images.Dimensions)}.");
        }

        if (labels.Dimensions.Length != 1)
        {
            throw new InvalidDataException($"{labelsName}: expected a 1-dimensional label array, found {string.Join('x', labels.Dimensions)}.");
        }

        if (labels.Count != images.Count)
        {
            throw new InvalidDataException($"{imagesName} holds {images.Count:N0} images but {labelsName} {labels.Count:N0} labels.");
        }

        for (var i = 0; i < labels.Data.Length; i++)
        {
            if (labels.Data[i] >= Classes)
            {
                throw new InvalidDataException($"{labelsName}: label {labels.Data[i]} at index {i} is not a digit 0-9.");
            }
        }

        return new MnistSet(images.Data, labels.Data);
    }
}
