using MnistService.Api.Errors;
using MnistService.Core.Imaging;

namespace MnistService.Api.Predictions;

/// <summary>A request body (or one part of it) read into a rented buffer (<see cref="ImageBuffers"/>); dispose to return it.</summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>Wraps an already rented buffer (ownership passes to the result).</summary>
    public static RequestBody FromRented(byte[] buffer, int length) => new(buffer, length);

    /// <summary>
    /// Reads <paramref name="stream"/> to its end, refusing more than <paramref name="maxBytes"/>
    /// with 413 (immediately when the declared length says so, else as soon as the limit is passed).
    /// </summary>
    public static async Task<RequestBody> ReadAsync(Stream stream, long? declaredLength, long maxBytes, CancellationToken cancellationToken)
    {
        if (declaredLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }
        var capacity = (int)Math.Min(maxBytes + 1, declaredLength is { } n ? n + 1 : 16 * 1024);
        var buffer = ImageBuffers.Rent(Math.Max(capacity, 256));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }
                    var larger = ImageBuffers.Rent((int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ImageBuffers.Return(buffer);
                    buffer = larger;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }
            var body = new RequestBody(buffer, length);
            buffer = null!;
            return body;
        }
        finally
        {
            if (buffer is not null)
            {
                ImageBuffers.Return(buffer);
            }
        }
    }

    private static PayloadTooLargeException TooLarge(long maxBytes) =>
        new($"The request body is larger than the limit of {maxBytes:N0} bytes.");

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ImageBuffers.Return(_buffer);
            _buffer = null;
        }
    }
}
