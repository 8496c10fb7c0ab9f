using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MnistService.Api.Errors;
using MnistService.Core.Imaging;

namespace MnistService.Api.Predictions;

/// <summary>What a <c>POST /predict</c> carried: either ready network input or an encoded image.</summary>
public sealed class PredictionInput : IDisposable
{
    private PredictionInput(float[]? pixels, RequestBody? image, bool preprocess = true)
    {
        Pixels = pixels;
        Image = image;
        Preprocess = preprocess;
    }

    /// <summary>784 values in [0,1], ink bright, or null.</summary>
    public float[]? Pixels { get; }

    /// <summary>Whether <see cref="Pixels"/> are made MNIST-like first (JSON <c>preprocess</c>, true unless set false).</summary>
    public bool Preprocess { get; }

    /// <summary>The encoded image bytes, or null.</summary>
    public RequestBody? Image { get; }

    public static PredictionInput FromPixels(float[] pixels, bool preprocess) => new(pixels, null, preprocess);
    public static PredictionInput FromImage(RequestBody image) => new(null, image);
    public void Dispose() => Image?.Dispose();
}

/// <summary>
/// Reads the four forms of <c>POST /predict</c>: multipart/form-data (field <c>image</c>), a raw
/// <c>image/*</c> body, JSON <c>{"pixels": [...]}</c> and JSON <c>{"image": "data:...;base64,..."}</c>.
/// Every way a request can be wrong ends in an <see cref="ApiException"/> with its status.
/// </summary>
public sealed class PredictionInputReader(IOptions<LimitsOptions> limits)
{
    public const string ImageField = "image";

    /// <summary>Most bytes of headers one multipart part may have (MultipartReader's own default).</summary>
    public const int MaxPartHeaderBytes = 16 * 1024;
    private readonly LimitsOptions _limits = limits.Value;

    public async Task<PredictionInput> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) || contentType.MediaType.Value is not { } mediaType)
        {
            throw new UnsupportedMediaTypeException(
                "Send a Content-Type: multipart/form-data (field 'image'), an image type such as image/png, or application/json.");
        }
        if (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
        {
            using var body = await RequestBody.ReadAsync(request.Body, request.ContentLength, _limits.MaxRequestBytes, cancellationToken);
            return ReadJson(body.Span);
        }
        if (mediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return PredictionInput.FromImage(await ReadMultipartAsync(request, contentType, cancellationToken));
        }
        if (ImageFormatSniffer.IsSupportedContentType(mediaType) || mediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            return PredictionInput.FromImage(await ReadImageAsync(request.Body, request.ContentLength, cancellationToken));
        }
        throw new UnsupportedMediaTypeException(
            $"Content-Type '{mediaType}' is not accepted. Use multipart/form-data, application/json or one of {string.Join(", ", ImageFormatSniffer.SupportedContentTypes)}.");
    }

    private async Task<RequestBody> ReadImageAsync(Stream stream, long? declaredLength, CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadAsync(stream, declaredLength, _limits.MaxRequestBytes, cancellationToken);
        if (body.Length == 0)
        {
            body.Dispose();
            throw new InvalidInputException("The image is empty (0 bytes).");
        }
        return body;
    }

    private async Task<RequestBody> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue contentType, CancellationToken cancellationToken)
    {
        if (request.ContentLength > _limits.MaxRequestBytes)
        {
            throw new PayloadTooLargeException($"The request body is larger than the limit of {_limits.MaxRequestBytes:N0} bytes.");
        }
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200)
        {
            throw new InvalidInputException("The multipart/form-data Content-Type has no valid boundary.");
        }
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = _limits.MaxRequestBytes, HeadersLengthLimit = MaxPartHeaderBytes };
        try
        {
            var fields = 0;
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (++fields > 16)
                {
                    break;
                }
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !HeaderUtilities.RemoveQuotes(disposition.Name).Equals(ImageField, StringComparison.Ordinal))
                {
                    continue;
                }
                if (MediaTypeHeaderValue.TryParse(section.ContentType, out var partType) && partType.MediaType.Value is { } partMediaType
                    && !ImageFormatSniffer.IsSupportedContentType(partMediaType)
                    && !partMediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UnsupportedMediaTypeException(
                        $"The 'image' part has Content-Type '{partMediaType}'; use one of {string.Join(", ", ImageFormatSniffer.SupportedContentTypes)}.");
                }
                return await ReadImageAsync(section.Body, null, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            // MultipartReader's complaints: a part's body over its limit ("Multipart body length limit ... exceeded"), a
            // part's headers over theirs ("Multipart headers length limit", or "Line length limit" for one long line),
            // or a malformed form.
            if (e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
            {
                throw new PayloadTooLargeException($"The request body is larger than the limit of {_limits.MaxRequestBytes:N0} bytes.");
            }
            if (e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("count limit", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidInputException(
                    $"A part of the multipart/form-data body has headers larger than the limit of {MaxPartHeaderBytes:N0} bytes (or too many of them).");
            }
            throw new InvalidInputException($"The multipart/form-data body cannot be read: {e.Message}");
        }
        catch (IOException e) when (e is not EndOfStreamException)
        {
            throw new InvalidInputException($"The multipart/form-data body cannot be read: {e.Message}");
        }
        throw new InvalidInputException($"The multipart/form-data body has no '{ImageField}' field with the image file.");
    }

    private static PredictionInput ReadJson(ReadOnlySpan<byte> json)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new InvalidInputException($"The JSON body is empty; send {PredictJsonErrors.Forms}.");
        }
        PredictJsonRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(json, ApiJsonContext.Default.PredictJsonRequest);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(PredictJsonErrors.Describe(e));
        }
        return request switch
        {
            null => throw new InvalidInputException($"The JSON body is null; send {PredictJsonErrors.Forms}."),
            { Pixels: not null, Image: not null } => throw new InvalidInputException("Send either 'pixels' or 'image', not both."),
            { Pixels: { } pixels } => PredictionInput.FromPixels(NormalizePixels(pixels), request.Preprocess ?? true),
            { Preprocess: not null } => throw new InvalidInputException("'preprocess' applies to 'pixels' only; images are always made MNIST-like."),
            { Image: { } image } => PredictionInput.FromImage(DecodeDataUrl(image)),
            _ => throw new InvalidInputException("The JSON body needs 'pixels' (784 numbers) or 'image' (a data URL)."),
        };
    }

    /// <summary>
    /// Checks the 784 values and brings them to [0,1]: as they are when none exceeds 1, divided by 255
    /// when they are 0-255 values.
    /// </summary>
    public static float[] NormalizePixels(float[] pixels)
    {
        if (pixels.Length != MnistPreprocessor.Side * MnistPreprocessor.Side)
        {
            throw new InvalidInputException($"'pixels' must hold exactly 784 numbers (28x28, row-major); it holds {pixels.Length}.");
        }
        var max = 0f;
        for (var i = 0; i < pixels.Length; i++)
        {
            var v = pixels[i];
            if (!float.IsFinite(v) || v < 0 || v > 255)
            {
                // Numbers beyond float's range arrive as infinities.
                var shown = float.IsFinite(v) ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "out of range";
                throw new InvalidInputException($"'pixels[{i}]' is {shown}; every value must be a number in [0,1] or in [0,255].");
            }
            max = Math.Max(max, v);
        }
        if (max > 1)
        {
            for (var i = 0; i < pixels.Length; i++)
            {
                pixels[i] /= 255f;
            }
        }
        return pixels;
    }

    /// <summary>Decodes <c>data:[type][;base64],DATA</c> (or bare base64) into a rented buffer.</summary>
    public static RequestBody DecodeDataUrl(string image)
    {
        var data = image.AsSpan().Trim();
        if (data.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = data.IndexOf(',');
            if (comma < 0)
            {
                throw new InvalidInputException("'image' is a data URL without a ',' before its data.");
            }
            var header = data[5..comma];
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidInputException("'image' must be a base64 data URL (data:image/png;base64,...).");
            }
            var type = header[..^";base64".Length];
            var semicolon = type.IndexOf(';');
            if (semicolon >= 0)
            {
                type = type[..semicolon];
            }
            if (!type.IsEmpty && !ImageFormatSniffer.IsSupportedContentType(type.ToString())
                && !type.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                throw new UnsupportedMediaTypeException(
                    $"The data URL has type '{type}'; use one of {string.Join(", ", ImageFormatSniffer.SupportedContentTypes)}.");
            }
            data = data[(comma + 1)..];
        }
        if (data.IsEmpty)
        {
            throw new InvalidInputException("'image' holds no data.");
        }
        var buffer = ImageBuffers.Rent(data.Length / 4 * 3 + 3);
        if (!Convert.TryFromBase64Chars(data, buffer, out var written))
        {
            ImageBuffers.Return(buffer);
            throw new InvalidInputException("'image' is not valid base64.");
        }
        if (written == 0)
        {
            ImageBuffers.Return(buffer);
            throw new InvalidInputException("'image' holds no data.");
        }
        return RequestBody.FromRented(buffer, written);
    }
}
