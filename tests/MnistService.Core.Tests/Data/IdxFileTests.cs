using MnistService.Core.Data;

namespace MnistService.Core.Tests.Data;

public class IdxFileTests
{
    private static byte[] Write(int[] dims, byte[] data, bool gzip = false)
    {
        var stream = new MemoryStream();
        IdxFile.Write(stream, dims, data, gzip);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Round_trips_images_raw_and_gzipped(bool gzip)
    {
        var data = Enumerable.Range(0, 3 * 28 * 28).Select(i => (byte)(i * 7)).ToArray();
        var array = IdxFile.Read(new MemoryStream(Write([3, 28, 28], data, gzip)));
        Assert.Equal([3, 28, 28], array.Dimensions);
        Assert.Equal(data, array.Data);
    }

    [Fact]
    public void Writes_the_documented_big_endian_header()
    {
        var bytes = Write([2], [5, 9]);
        Assert.Equal(new byte[] { 0, 0, 0x08, 1, 0, 0, 0, 2, 5, 9 }, bytes);
    }

    public static TheoryData<string, byte[], string> BrokenFiles => new()
    {
        { "empty", [], "truncated" },
        { "short header", [0, 0, 8], "truncated" },
        { "wrong magic", [1, 2, 8, 1, 0, 0, 0, 1, 0], "magic" },
        { "int32 elements", [0, 0, 0x0C, 1, 0, 0, 0, 1, 0, 0, 0, 0], "element type" },
        { "rank 0", [0, 0, 8, 0], "rank" },
        { "zero dimension", [0, 0, 8, 1, 0, 0, 0, 0], "dimension" },
        { "missing data", [0, 0, 8, 1, 0, 0, 0, 5, 1, 2], "truncated" },
        { "extra data", [0, 0, 8, 1, 0, 0, 0, 1, 1, 2], "longer" },
        { "huge dimensions", [0, 0, 8, 2, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff], "Implausible" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Rejects_broken_files_with_a_clear_message(string _, byte[] bytes, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(bytes)));
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Rejects_a_truncated_gzip_file()
    {
        var gz = Write([100, 28, 28], new byte[100 * 28 * 28], gzip: true);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(gz[..(gz.Length / 2)])));
        Assert.Contains("truncated", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Names_the_file_in_errors_read_from_disk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}-idx1-ubyte");
        File.WriteAllBytes(path, [0, 0, 8, 1, 0, 0, 0, 9]);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
            Assert.Contains(path, error.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Reads_from_a_non_seekable_stream()
    {
        var gz = Write([4], [1, 2, 3, 4], gzip: true);
        var array = IdxFile.Read(new ForwardOnlyStream(gz));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, array.Data);
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
