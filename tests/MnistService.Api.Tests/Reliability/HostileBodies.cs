using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using MnistService.Api.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Tests.Reliability;

/// <summary>One generated request body: what it is (for failure messages), its bytes and its content type.</summary>
public sealed record HostileBody(string Kind, byte[] Bytes, string? ContentType, string? Multipart = null)
{
    public HttpContent ToContent()
    {
        if (Multipart is not null)
        {
            // Multipart bodies are written by hand (broken ones too), so the content type carries the boundary as given.
            var raw = new ByteArrayContent(Bytes);
            raw.Headers.TryAddWithoutValidation("Content-Type", Multipart);
            return raw;
        }
        var content = new ByteArrayContent(Bytes);
        if (ContentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }
        return content;
    }

    public override string ToString() => $"{Kind} ({Bytes.Length} bytes, {Multipart ?? ContentType ?? "no content type"})";
}

/// <summary>
/// Bodies written to break POST /predict: damaged images of every format, lying headers, bombs, odd JSON,
/// broken multipart. <see cref="Generate"/> is a pure function of (seed, index), so a failure names the
/// body that caused it and can be replayed.
/// </summary>
public sealed class HostileBodies
{
    private static readonly string[] ImageTypes = ["image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"];
    private readonly (string Type, byte[] Bytes)[] _images;
    private readonly byte[] _manyFrameGif;

    /// <param name="scale">Size of the valid images the damaged ones start from (28 * scale pixels a side).</param>
    /// <param name="gifFrames">Frames in the many-frame GIF.</param>
    public HostileBodies(int scale = 2, int gifFrames = 300)
    {
        _images = TestImages.AllFormats()
            .Select((f, i) => (f.ContentType, TestImages.BlackOnWhite(MnistTestSet.Images[i], f.Encoder, scale)))
            .ToArray();
        _manyFrameGif = ManyFrameGif(gifFrames);
    }

    public const int Kinds = 14;

    public HostileBody Generate(int seed, int index)
    {
        var random = new Random(unchecked(seed * 1_000_003 + index)); // not HashCode.Combine: that is seeded per process
        var (type, image) = _images[random.Next(_images.Length)];
        switch (index % Kinds)
        {
            case 0:
                return new("truncated " + type, image[..random.Next(image.Length)], type);
            case 1:
            {
                var flipped = (byte[])image.Clone();
                for (var k = 1 + random.Next(16); k > 0; k--)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }
                return new("bit-flipped " + type, flipped, type);
            }
            case 2:
            {
                var noise = (byte[])image.Clone();
                random.NextBytes(noise.AsSpan(Math.Min(noise.Length, 8 + random.Next(64))));
                return new("noise after the header of " + type, noise, type);
            }
            case 3:
            {
                string[] wrong = ["image/jpeg", "image/png", "application/json", "text/plain", "application/octet-stream",
                    "image/svg+xml", "image/png; charset=utf-8", "multipart/form-data", "image/", "*/*", "a/b/c", ";;;", ""];
                var chosen = wrong[random.Next(wrong.Length)];
                return new("wrong content type for " + type, image, chosen.Length == 0 ? null : chosen);
            }
            case 4:
                return HugeDimensions(random);
            case 5:
                return new("many-frame GIF", _manyFrameGif, random.Next(2) == 0 ? "image/gif" : "image/png");
            case 6:
            {
                var count = random.Next(4) switch { 0 => 0, 1 => 783, 2 => 785, _ => random.Next(2000) };
                if (count == 784)
                    {
                        count++;
                    }

                    var pixels = string.Join(',', Enumerable.Range(0, count).Select(_ => random.Next(256)));
                return Json($"{{\"pixels\": [{pixels}]}}", $"JSON with {count} pixels");
            }
            case 7:
            {
                string[] odd = ["NaN", "Infinity", "-Infinity", "1e39", "-1e39", "1e308", "256", "-0.5", "\"7\"", "true", "null", "{}", "[]",
                    "123456789012345678901234567890", "0x10", "1.0e", "--1", "01"];
                var values = Enumerable.Range(0, 784).Select(_ => random.Next(3) == 0 ? odd[random.Next(odd.Length)] : random.Next(256).ToString());
                return Json($"{{\"pixels\": [{string.Join(',', values)}]}}", "JSON pixels with odd numbers");
            }
            case 8:
            {
                var depth = random.Next(4) switch { 0 => 64, 1 => 65, 2 => 1000, _ => random.Next(100_000) };
                var nested = random.Next(2) == 0
                    ? new string('[', depth) + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                return Json(random.Next(2) == 0 ? $"{{\"pixels\": {nested}}}" : nested, $"JSON nested {depth} deep");
            }
            case 9:
            {
                string?[] types = [.. ImageTypes, "application/json", "multipart/form-data; boundary=x", null];
                return new("empty body", [], types[random.Next(types.Length)]);
            }
            case 10:
                return BrokenMultipart(random, type, image);
            case 11:
            {
                var damaged = image[..random.Next(image.Length + 1)];
                string[] prefixes = [$"data:{type};base64,", "data:image/png;base64,", "data:text/html;base64,", "data:;base64,", "data:image/png,", ""];
                var encoded = Convert.ToBase64String(damaged);
                if (random.Next(3) == 0 && encoded.Length > 0)
                {
                    var chars = encoded.ToCharArray();
                    chars[random.Next(chars.Length)] = "!@#$%^&*() é"[random.Next(12)];
                    encoded = new string(chars);
                }
                return Json($"{{\"image\": \"{prefixes[random.Next(prefixes.Length)]}{encoded}\"}}", "data URL of a damaged " + type);
            }
            case 12:
            {
                string[] shapes = ["", "{", "}", "null", "[]", "{}", "\"pixels\"", "{\"pixels\": \"abc\"}", "{\"pixels\": 5}", "{\"image\": 5}",
                    "{\"image\": null, \"pixels\": null}", "{\"pixels\": [1,2,3], \"image\": \"data:image/png;base64,AAAA\"}",
                    "{\"pixels\": [" + new string('1', 5000) + "]}", "\u0000\u0001\u0002", "{\"pixels\": [1,2,3,]}", "{'pixels': []}",
                    "\uFEFF{}", "{\"pixels\": [1e-400]}"];
                return Json(shapes[random.Next(shapes.Length)], "JSON of the wrong shape");
            }
            default:
                // Valid bodies in between, so the server is also seen answering 200 while under attack.
                return random.Next(2) == 0
                    ? new("valid " + type, image, type)
                    : Json($"{{\"pixels\": [{string.Join(',', MnistTestSet.Images[random.Next(20)].Select(b => b.ToString()))}]}}", "valid JSON pixels");
        }
    }

    private static HostileBody Json(string json, string kind) => new(kind, Encoding.UTF8.GetBytes(json), "application/json");

    /// <summary>Tiny files whose headers claim huge (or zero, or negative) sizes.</summary>
    private static HostileBody HugeDimensions(Random random)
    {
        int[] sides = [0, 1, 65_535, 65_536, 100_000, int.MaxValue, -1, 46_341, 16_385];
        int Side() => random.Next(3) == 0 ? random.Next(1, 200_000) : sides[random.Next(sides.Length)];
        string[] formats = ["png", "gif", "jpeg", "bmp", "webp"];
        return Claiming(formats[random.Next(formats.Length)], Side(), Side(), bottomUp: random.Next(2) == 0, variant: random.Next(12));
    }

    /// <summary>A tiny file of the given format whose header claims <paramref name="w"/> x <paramref name="h"/> pixels.</summary>
    public static HostileBody Claiming(string format, int w, int h, bool bottomUp = true, int variant = 0)
    {
        switch (format)
        {
            case "png":
            {
                var png = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
                var header = new byte[13];
                BinaryPrimitives.WriteInt32BigEndian(header, w);
                BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), h);
                header[8] = 8;
                header[9] = (byte)new[] { 0, 2, 6 }[variant % 3];
                png.AddRange(PngChunks.Chunk("IHDR", header));
                png.AddRange(PngChunks.Chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]));
                png.AddRange(PngChunks.Chunk("IEND", []));
                return new($"PNG claiming {w}x{h}", [.. png], "image/png");
            }
            case "gif":
            {
                ushort gw = (ushort)w, gh = (ushort)h;
                byte[] gif = [.. "GIF89a"u8, (byte)gw, (byte)(gw >> 8), (byte)gh, (byte)(gh >> 8), 0x00, 0x00, 0x00,
                    0x2C, 0, 0, 0, 0, (byte)gw, (byte)(gw >> 8), (byte)gh, (byte)(gh >> 8), 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B];
                return new($"GIF claiming {gw}x{gh}", gif, "image/gif");
            }
            case "jpeg":
            {
                ushort jw = (ushort)w, jh = (ushort)h;
                // SOI, a baseline SOF0 with one component, then end of image: Identify reads the size from SOF0.
                byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, (byte)(jh >> 8), (byte)jh, (byte)(jw >> 8), (byte)jw, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9];
                return new($"JPEG claiming {jw}x{jh}", jpeg, "image/jpeg");
            }
            case "bmp":
            {
                var bmp = new byte[54 + 16];
                bmp[0] = (byte)'B'; bmp[1] = (byte)'M';
                BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
                BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
                BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
                BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), w);
                BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), bottomUp ? h : -h);
                BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
                BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), (short)new[] { 1, 8, 24, 32 }[variant % 4]);
                return new($"BMP claiming {w}x{h}", bmp, "image/bmp");
            }
            default:
            {
                // VP8L, the lossless header: 0x2F, then width-1 and height-1 in 14 bits each (at most 16384 a side).
                var lw = (uint)Math.Clamp((long)w, 1, 1 << 14) - 1;
                var lh = (uint)Math.Clamp((long)h, 1, 1 << 14) - 1;
                var bits = lw | (lh << 14);
                byte[] payload = [0x2F, (byte)bits, (byte)(bits >> 8), (byte)(bits >> 16), (byte)(bits >> 24), 0, 0, 0];
                var webp = new List<byte>("RIFF"u8.ToArray());
                webp.AddRange(BitConverter.GetBytes(4 + 8 + payload.Length));
                webp.AddRange("WEBPVP8L"u8.ToArray());
                webp.AddRange(BitConverter.GetBytes(payload.Length));
                webp.AddRange(payload);
                return new($"WebP claiming {lw + 1}x{lh + 1}", [.. webp], "image/webp");
            }
        }
    }

    private static HostileBody BrokenMultipart(Random random, string type, byte[] image)
    {
        const string boundary = "----fuzzboundary";
        string Part(string name, string partType, string body) =>
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"x\"\r\nContent-Type: {partType}\r\n\r\n{body}\r\n";
        var latin = Encoding.Latin1.GetString(image);
        var variant = random.Next(8);
        var (kind, text, header) = variant switch
        {
            0 => ("multipart without the image field", Part("file", type, latin) + $"--{boundary}--\r\n", $"multipart/form-data; boundary={boundary}"),
            1 => ("multipart with an empty image", Part("image", type, "") + $"--{boundary}--\r\n", $"multipart/form-data; boundary={boundary}"),
            2 => ("multipart without a boundary parameter", Part("image", type, latin), "multipart/form-data"),
            3 => ("multipart cut off", (Part("image", type, latin))[..random.Next(Part("image", type, latin).Length)], $"multipart/form-data; boundary={boundary}"),
            4 => ("multipart with a different boundary", Part("image", type, latin) + $"--{boundary}--\r\n", "multipart/form-data; boundary=other"),
            5 => ("multipart with a truncated image", Part("image", type, latin[..random.Next(latin.Length)]) + $"--{boundary}--\r\n", $"multipart/form-data; boundary={boundary}"),
            6 => ("multipart with many parts", string.Concat(Enumerable.Range(0, 200).Select(i => Part("p" + i, "text/plain", "x"))) + $"--{boundary}--\r\n", $"multipart/form-data; boundary={boundary}"),
            _ => ("multipart with a text image part", Part("image", "text/plain", "seven") + $"--{boundary}--\r\n", $"multipart/form-data; boundary={boundary}"),
        };
        return new(kind, Encoding.Latin1.GetBytes(text), null, header);
    }

    /// <summary>A GIF of many small frames: only the first may be decoded, whatever the rest hold.</summary>
    private static byte[] ManyFrameGif(int frames)
    {
        using var image = new Image<Rgba32>(16, 16, Color.White);
        for (var i = 1; i < frames; i++)
        {
            using var frame = new Image<Rgba32>(16, 16, i % 2 == 0 ? Color.Black : Color.White);
            image.Frames.AddFrame(frame.Frames.RootFrame);
        }
        return TestImages.Encode(image, new GifEncoder());
    }
}
