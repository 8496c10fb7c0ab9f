namespace MnistService.Core.Imaging;

/// <summary>The image formats the service reads, told apart by their first bytes.</summary>
public enum ImageKind { Unknown, Png, Jpeg, Gif, Bmp, Webp, Tiff }

public static class ImageFormatSniffer
{
    /// <summary>The content types accepted for a raw image body or a multipart file.</summary>
    public static readonly string[] SupportedContentTypes =
        ["image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/bmp", "image/x-bmp", "image/x-ms-bmp", "image/webp", "image/tiff"];

    public static bool IsSupportedContentType(string mediaType) =>
        SupportedContentTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase);

    public static ImageKind Detect(ReadOnlySpan<byte> data) => data switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => ImageKind.Png,
        [0xFF, 0xD8, 0xFF, ..] => ImageKind.Jpeg,
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => ImageKind.Gif,
        [(byte)'B', (byte)'M', ..] => ImageKind.Bmp,
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => ImageKind.Webp,
        [(byte)'I', (byte)'I', 42, 0, ..] or [(byte)'M', (byte)'M', 0, 42, ..] => ImageKind.Tiff,
        _ => ImageKind.Unknown,
    };
}
