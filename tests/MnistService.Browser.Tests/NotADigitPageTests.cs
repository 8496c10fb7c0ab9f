using System.Text.Json;
using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;
using MnistService.Testing.NotADigit;

namespace MnistService.Browser.Tests;

/// <summary>The page does not read a digit into what is not one: a non-digit says so with its bars greyed, and a dot is too small to read.</summary>
[Collection(PageCollection.Name)]
public sealed class NotADigitPageTests(PageServer server)
{
    [Fact]
    public async Task A_dot_is_too_small_to_read()
    {
        await using var session = await PageSession.OpenAsync(server);
        await session.DrawAsync([(0.5, 0.5), (0.51, 0.505)]);
        var verdict = await session.WaitForVerdictAsync();

        Assert.Equal("not-digit", verdict.State);
        Assert.Equal("Too small to read", verdict.Headline);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_upload_the_detector_rejects_says_it_does_not_look_like_a_digit()
    {
        // The first generated non-digit the service answers isDigit false (most are; docs/not-a-digit.md).
        UploadSample? rejected = null;
        foreach (var sample in NonDigitImages.Generate(perKind: 4, seed: 21).Where(s => !s.IsBlank))
        {
            using var response = await server.Http.PostAsync("predict", new ByteArrayContent(sample.Bytes)
            {
                Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(sample.ContentType) },
            });
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (response.IsSuccessStatusCode && !json.RootElement.GetProperty("isDigit").GetBoolean())
            {
                rejected = sample;
                break;
            }
        }
        Assert.NotNull(rejected);

        await using var session = await PageSession.OpenAsync(server);
        var file = new FilePayload { Name = "not-a-digit" + (rejected.ContentType == "image/png" ? ".png" : ".jpg"), MimeType = rejected.ContentType, Buffer = rejected.Bytes };
        var chooser = await session.ExpectFileChooserAsync(() => session.Page.ClickAsync("#upload"));
        await chooser.SetFilesAsync(file);
        var verdict = await session.WaitForVerdictAsync();

        Assert.Equal("not-digit", verdict.State);
        Assert.Equal("That doesn't look like a digit", verdict.Headline);
        Assert.StartsWith(PageServer.DefaultModel + " ·", verdict.Meta);
        await Assertions.Expect(session.Page.Locator("#input-canvas")).ToHaveAttributeAsync("data-state", "shown"); // what the network saw, still shown
        await session.ScreenshotAsync("not-a-digit.png");
        session.AssertNoConsoleErrors();
    }
}
