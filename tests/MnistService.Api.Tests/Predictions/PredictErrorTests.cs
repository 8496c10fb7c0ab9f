using System.Net;
using System.Text;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Predictions;

/// <summary>Every way to send a bad request gets its documented 4xx as problem+json, never a 500.</summary>
[Collection(CommittedModelCollection.Name)]
public sealed class PredictErrorTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private Task<HttpResponseMessage> Post(HttpContent content, string query = "") => _client.PostAsync("/predict" + query, content);

    public static TheoryData<string> BadJson() => new()
    {
        "not json",
        "{\"pixels\": [1, 2, 3]}",
        "{\"pixels\": " + JsonSerializer.Serialize(new float[785]) + "}",
        "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("256", 784)) + "]}",
        "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("-1", 784)) + "]}",
        "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("1e39", 784)) + "]}",
        "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("NaN", 784)) + "]}",
        "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("\"x\"", 784)) + "]}",
        "{\"pixels\": null}",
        "{}",
        "null",
        "[]",
        "{\"image\": \"data:image/png;base64,!!!not base64!!!\"}",
        "{\"image\": \"data:image/png,plain\"}",
        "{\"image\": \"\"}",
        "{\"image\": \"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA\"}",
        "{\"image\": \"data:image/png;base64,AAAA\", \"pixels\": []}",
        "{\"pixels\": " + new string('[', 5000) + new string(']', 5000) + "}",
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public async Task Wrong_or_unreadable_JSON_is_400(string json)
    {
        var problem = await HttpAssert.Problem(await Post(HttpAssert.JsonBody(json)), HttpStatusCode.BadRequest);
        PredictJsonTests.AssertNoDotNetTerms(problem.GetProperty("detail").GetString()!);
    }

    [Fact]
    public async Task Empty_body_is_400()
    {
        await HttpAssert.Problem(await Post(HttpAssert.Bytes([], "image/png")), HttpStatusCode.BadRequest);
        await HttpAssert.Problem(await Post(HttpAssert.JsonBody("")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Damaged_images_are_400()
    {
        var png = TestImages.MnistPng(MnistTestSet.Images[1]);
        var jpeg = TestImages.BlackOnWhite(MnistTestSet.Images[1], new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder());
        await HttpAssert.Problem(await Post(HttpAssert.Bytes(png[..40], "image/png")), HttpStatusCode.BadRequest);
        await HttpAssert.Problem(await Post(HttpAssert.Bytes(jpeg[..200], "image/jpeg")), HttpStatusCode.BadRequest);
        var corrupt = (byte[])png.Clone();
        for (var i = 60; i < corrupt.Length - 20; i++)
        {
            corrupt[i] ^= 0x5A; // scramble the compressed pixel data
        }
        await HttpAssert.Problem(await Post(HttpAssert.Bytes(corrupt, "image/png")), HttpStatusCode.BadRequest);
    }

    public static TheoryData<string> PhotoFormats() => ["image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"];

    [Theory]
    [MemberData(nameof(PhotoFormats))]
    public async Task Truncated_images_are_400_not_a_guess_from_part_of_the_picture(string type)
    {
        // A photographed digit: paper texture makes the PNG's pixel data span several IDAT chunks.
        var encoder = TestImages.AllFormats().Single(f => f.ContentType == type).Encoder;
        var photo = PaperPhoto(MnistTestSet.Images[4], encoder);
        Assert.Equal(HttpStatusCode.OK, (await Post(HttpAssert.Bytes(photo, type))).StatusCode);
        foreach (var cut in new[] { photo.Length / 4, photo.Length / 2, photo.Length * 3 / 4, photo.Length - 2 })
        {
            var response = await Post(HttpAssert.Bytes(photo[..cut], type));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest,
                $"{type} cut at {cut} of {photo.Length}: {(int)response.StatusCode} {string.Concat((await response.Content.ReadAsStringAsync()).Take(160))}");
            var problem = await HttpAssert.Problem(response, HttpStatusCode.BadRequest);
            Assert.Equal("Invalid input", problem.GetProperty("title").GetString());
        }
    }

    /// <summary>A digit photographed on paper: dark ink, grainy light background, 14x enlarged on a 420x400 frame.</summary>
    private static byte[] PaperPhoto(byte[] digit, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        var ink = TestImages.Enlarge(digit, 14, out var side);
        var random = new Random(11);
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(420, 400);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var paper = 200 + random.Next(40);
                var (dx, dy) = (x - 12, y - 6);
                var level = dx >= 0 && dy >= 0 && dx < side && dy < side ? paper - ink[dy * side + dx] * 180 / 255 : paper;
                image[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)level, (byte)level, (byte)(level * 9 / 10));
            }
        }
        return TestImages.Encode(image, encoder);
    }

    [Fact]
    public async Task Multipart_without_an_image_field_is_400()
    {
        var form = new MultipartFormDataContent { { new StringContent("hello"), "note" } };
        await HttpAssert.Problem(await Post(form), HttpStatusCode.BadRequest);
        var wrongName = HttpAssert.Form(TestImages.MnistPng(MnistTestSet.Images[0]), "image/png", field: "file");
        await HttpAssert.Problem(await Post(wrongName), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unsupported_types_are_415()
    {
        await HttpAssert.Problem(await Post(new StringContent("seven", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await HttpAssert.Problem(await Post(HttpAssert.Bytes("<svg/>"u8.ToArray(), "image/svg+xml")), HttpStatusCode.UnsupportedMediaType);
        await HttpAssert.Problem(await Post(HttpAssert.Bytes("GIF? no, text"u8.ToArray(), "image/png")), HttpStatusCode.UnsupportedMediaType);
        await HttpAssert.Problem(await Post(HttpAssert.Form("<svg/>"u8.ToArray(), "image/svg+xml")), HttpStatusCode.UnsupportedMediaType);
        await HttpAssert.Problem(await Post(HttpAssert.JsonBody("{\"image\": \"data:text/plain;base64,aGVsbG8=\"}")), HttpStatusCode.UnsupportedMediaType);
        var noType = new ByteArrayContent(TestImages.MnistPng(MnistTestSet.Images[0]));
        await HttpAssert.Problem(await Post(noType), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        var big = new byte[5 * 1024 * 1024 + 1];
        TestImages.MnistPng(MnistTestSet.Images[0]).CopyTo(big, 0);
        await HttpAssert.Problem(await Post(HttpAssert.Bytes(big, "image/png")), HttpStatusCode.RequestEntityTooLarge);
        await HttpAssert.Problem(await Post(HttpAssert.Form(big, "image/png")), HttpStatusCode.RequestEntityTooLarge);
        var json = "{\"pixels\": [" + string.Join(',', Enumerable.Repeat("0.5000000000", 600_000)) + "]}";
        await HttpAssert.Problem(await Post(HttpAssert.JsonBody(json)), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Decompression_bomb_is_413_before_decoding()
    {
        // 12000 x 12000 black pixels compress to about 150 kB; decoded they would need 576 MB as RGBA.
        var bomb = PngBomb(12_000, 12_000);
        Assert.True(bomb.Length < 1_000_000);
        var before = GC.GetTotalAllocatedBytes();
        await HttpAssert.Problem(await Post(HttpAssert.Bytes(bomb, "image/png")), HttpStatusCode.RequestEntityTooLarge);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000, "the bomb was decoded");
        // The same refusal for formats that go through ImageSharp's Identify: a GIF whose header claims 60000x60000.
        byte[] gif = [.. "GIF89a"u8, 0x60, 0xEA, 0x60, 0xEA, 0x00, 0x00, 0x00, 0x2C, 0, 0, 0, 0, 0x60, 0xEA, 0x60, 0xEA, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B];
        await HttpAssert.Problem(await Post(HttpAssert.Bytes(gif, "image/gif")), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Image_over_the_configured_pixel_limit_is_413()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { ["Limits:MaxImagePixels"] = "10000" });
        using var client = factory.CreateClient();
        var image = TestImages.BlackOnWhite(MnistTestSet.Images[0], new SixLabors.ImageSharp.Formats.Png.PngEncoder(), scale: 4);
        await HttpAssert.Problem(await client.PostAsync("/predict", HttpAssert.Bytes(image, "image/png")), HttpStatusCode.RequestEntityTooLarge);
        var jpeg = TestImages.BlackOnWhite(MnistTestSet.Images[0], new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder(), scale: 4);
        await HttpAssert.Problem(await client.PostAsync("/predict", HttpAssert.Bytes(jpeg, "image/jpeg")), HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(0)]
    [InlineData(128)]
    public async Task Empty_drawing_is_422(byte gray) =>
        await HttpAssert.Problem(await Post(HttpAssert.Bytes(TestImages.Blank(280, 280, gray), "image/png")), HttpStatusCode.UnprocessableEntity);

    [Fact]
    public async Task Fully_transparent_canvas_is_422()
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(280, 280);
        var png = TestImages.Encode(image, new SixLabors.ImageSharp.Formats.Png.PngEncoder { ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.RgbWithAlpha });
        var json = await HttpAssert.Problem(await Post(HttpAssert.JsonBody(JsonSerializer.Serialize(new { image = "data:image/png;base64," + Convert.ToBase64String(png) }))),
            HttpStatusCode.UnprocessableEntity);
        Assert.Contains("No digit", json.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Generated_hostile_bodies_never_get_a_500()
    {
        var random = new Random(1234);
        var seeds = TestImages.AllFormats().Select(f => (f.ContentType, Bytes: TestImages.BlackOnWhite(MnistTestSet.Images[2], f.Encoder, scale: 3))).ToList();
        for (var i = 0; i < 240; i++)
        {
            var (type, bytes) = seeds[i % seeds.Count];
            var mutated = (byte[])bytes.Clone();
            switch (i % 3)
            {
                case 0: // truncate
                    mutated = mutated[..random.Next(0, mutated.Length)];
                    break;
                case 1: // flip bits
                    for (var k = 0; k < 1 + random.Next(8); k++)
                    {
                        mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                default: // random bytes after a valid signature
                    random.NextBytes(mutated.AsSpan(Math.Min(16, mutated.Length)));
                    break;
            }
            var response = await Post(HttpAssert.Bytes(mutated, type));
            var status = (int)response.StatusCode;
            Assert.True(status is 200 or 400 or 413 or 415 or 422, $"{type} mutation {i}: status {status}: {await response.Content.ReadAsStringAsync()}");
            if (status != 200)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
    }

    /// <summary>A valid grayscale PNG of the given size, all black, built with zlib directly.</summary>
    internal static byte[] PngBomb(int width, int height)
    {
        using var raw = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(raw, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1];
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (gray)
        png.Write(PngChunks.Chunk("IHDR", header));
        png.Write(PngChunks.Chunk("IDAT", raw.ToArray()));
        png.Write(PngChunks.Chunk("IEND", []));
        return png.ToArray();
    }
}
