using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Imaging;

namespace MnistService.Api.Tests.Reliability;

/// <summary>
/// Files that cost a decoder far more than their size get a quick, clear 4xx however they are sent; a decode that
/// does not fit in the decoded-pixel budget gets 503 with Retry-After, never a 500.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class DecodeBoundsTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    public static TheoryData<int, string> InterlacedCases()
    {
        var data = new TheoryData<int, string>();
        foreach (var side in new[] { 1, 8, 4096 })
        {
            foreach (var form in new[] { "raw", "multipart", "data URL" })
            {
                data.Add(side, form);
            }
        }
        return data;
    }

    private static HttpContent Send(byte[] image, string contentType, string form) => form switch
    {
        "raw" => HttpAssert.Bytes(image, contentType),
        "multipart" => HttpAssert.Form(image, contentType),
        _ => HttpAssert.JsonBody($"{{\"image\": \"data:{contentType};base64,{Convert.ToBase64String(image)}\"}}"),
    };

    [Theory]
    [MemberData(nameof(InterlacedCases))]
    public async Task An_interlaced_PNG_whose_image_data_inflates_to_nothing_is_400_at_once(int side, string form)
    {
        // The 65-byte file (at 1x1) used to keep a core busy for good, past the request's timeout and the client's hang-up.
        var png = side == 1 ? HostileImages.EmptyInterlacedPng : HostileImages.EmptyInterlacedPngOfSize(side, side);
        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", Send(png, "image/png", form), cancel.Token), HttpStatusCode.BadRequest);
        Assert.Contains("PNG", problem.GetProperty("detail").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"answered after {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_PNG_hiding_its_header_behind_another_chunk_is_400_at_once()
    {
        // It used to reach ImageSharp, which never returned from it.
        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.Bytes(HostileImages.InterlacedPngWithHeaderNotFirst(), "image/png"), cancel.Token),
            HttpStatusCode.BadRequest);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"answered after {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_PNG_missing_the_end_of_its_image_data_is_400_not_a_digit()
    {
        // An all-black 64x64 PNG whose last 10 bytes of image data are gone used to be answered 200 "4".
        var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.Bytes(HostileImages.BlackPngWithShortData(), "image/png")),
            HttpStatusCode.BadRequest);
        Assert.Contains("truncated", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_PNG_whose_compressed_data_asks_for_a_dictionary_is_400_not_500()
    {
        await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.Bytes(HostileImages.PngAskingForADictionary(false), "image/png")),
            HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_JPEG_scan_bomb_is_400_before_it_is_decoded()
    {
        var bomb = HostileImages.ProgressiveJpegScanBomb(2048, 10_000);
        var clock = Stopwatch.StartNew();
        var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.Bytes(bomb, "image/jpeg")), HttpStatusCode.BadRequest);
        Assert.Contains("scans", problem.GetProperty("detail").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"answered after {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_multipart_part_with_huge_headers_is_400_naming_the_header_limit()
    {
        // It used to be 413 "larger than 5,242,880 bytes" for a 21 KB body.
        const string boundary = "----bounds";
        var body = $"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nX-Padding: {new string('a', 20_000)}\r\n" +
            $"Content-Type: image/png\r\n\r\nxx\r\n--{boundary}--\r\n";
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", content), HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("headers", detail);
        Assert.Contains("16,384 bytes", detail);
        Assert.DoesNotContain("5,242,880", detail);
    }

    [Fact]
    public async Task A_decode_that_does_not_fit_in_the_budget_waits_then_gets_503_with_Retry_After()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { ["Limits:MaxDecodedPixelsInFlight"] = "100000" });
        using var client = factory.CreateClient();
        var budget = factory.Services.GetRequiredService<DecodeBudget>();
        Assert.Equal(100_000, budget.CapacityPixels);
        var canvas = TestImages.CanvasSeven(); // 280x280: 78,400 pixels

        // Another request's decode holds most of the budget: this one waits about a second, then is turned away.
        var held = await budget.ReserveAsync(50_000, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(held);
        var clock = Stopwatch.StartNew();
        var response = await client.PostAsync("/predict", HttpAssert.Bytes(canvas, "image/png"));
        var elapsed = clock.Elapsed;
        Assert.Equal(["1"], response.Headers.GetValues("Retry-After"));
        var problem = await HttpAssert.Problem(response, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("MaxDecodedPixelsInFlight", problem.GetProperty("detail").GetString());
        Assert.InRange(elapsed.TotalSeconds, 0.9, 5);
        // An operator sees the refusals in the metrics (the counter is the process's, shared by the tests: at least one).
        var metrics = await (await HttpAssert.FreshMetrics(client)).Content.ReadAsStringAsync();
        Assert.Matches(@"(?m)^mnist_decodes_refused_total\{reason=""budget""\} [1-9]", metrics);
        Assert.Matches(@"(?m)^mnist_decoded_pixels_in_flight ", metrics);

        // Freed within the wait, the budget lets it through.
        var waiting = client.PostAsync("/predict", HttpAssert.Bytes(canvas, "image/png"));
        await Task.Delay(300);
        held!.Dispose();
        Assert.Equal(7, (await HttpAssert.Json(await waiting)).GetProperty("digit").GetInt32());
        Assert.Equal(0, budget.InFlightPixels);

        // An image larger than the whole budget is decoded when nothing else is.
        var large = TestImages.BlackOnWhite(MnistTestSet.Images[0], new SixLabors.ImageSharp.Formats.Png.PngEncoder(), scale: 12); // 396x396
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/predict", HttpAssert.Bytes(large, "image/png"))).StatusCode);
    }

    [Fact]
    public async Task The_API_document_says_a_busy_503_carries_Retry_After()
    {
        var document = await HttpAssert.Json(await _client.GetAsync("/swagger/v1/swagger.json"));
        var busy = document.GetProperty("paths").GetProperty("/predict").GetProperty("post").GetProperty("responses").GetProperty("503");
        Assert.Contains("Retry-After", busy.GetProperty("description").GetString());
        Assert.Equal("integer", busy.GetProperty("headers").GetProperty("Retry-After").GetProperty("schema").GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_default_budget_is_sized_from_the_memory_the_process_may_use()
    {
        var budget = fixture.Factory.Services.GetRequiredService<DecodeBudget>();
        Assert.Equal(DecodeBudget.DefaultCapacity(), budget.CapacityPixels);
        // 384 MiB (the shipped Kubernetes limit's heap) holds one 4096x4096 image being decoded.
        Assert.Equal(4096L * 4096, DecodeBudget.DefaultCapacity(384L << 20));
        await Task.CompletedTask;
    }
}
