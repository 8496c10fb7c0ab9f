namespace MnistService.Core.Imaging;

/// <summary>Why an image cannot become a network input.</summary>
public enum ImageRejection
{
    /// <summary>The data is damaged, truncated or otherwise cannot be decoded.</summary>
    Unreadable,

    /// <summary>Not an image format the decoder reads.</summary>
    UnsupportedFormat,

    /// <summary>More pixels, or a longer side, than the decoder's limits allow.</summary>
    TooLarge,

    /// <summary>A readable image with nothing in it that stands out from its background.</summary>
    Blank,

    /// <summary>More digits (or marks that could be digits) than one reading takes.</summary>
    TooManyDigits,
}

/// <summary>
/// An image the decoder or the MNIST preprocessing refuses, with the reason and a message meant for
/// the person who sent it. Callers decide what a reason means to them (the service: an HTTP status).
/// </summary>
public sealed class ImageRejectedException(ImageRejection reason, string message) : Exception(message)
{
    public ImageRejection Reason { get; } = reason;
}
