using System.Buffers;

namespace MnistService.Core.Imaging;

/// <summary>
/// Byte buffers for decoding and for the encoded images themselves. Up to 1 MiB they come from the shared array pool (a canvas image's planes and rows,
/// reused request after request); larger ones are fresh arrays that the GC takes back. The shared pool keeps what is
/// returned to it, up to 1 GiB an array and several per size per core: pooled 16 MiB planes of 4096x4096 images
/// stayed in the heap after the requests, and under a 384 MiB heap limit the next large image ran out of memory.
/// </summary>
public static class ImageBuffers
{
    private const int MaxPooled = 1 << 20;

    public static byte[] Rent(int length) => length <= MaxPooled ? ArrayPool<byte>.Shared.Rent(length) : new byte[length];

    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= MaxPooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
