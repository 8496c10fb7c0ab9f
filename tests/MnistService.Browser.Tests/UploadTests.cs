using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>Reading an image file: by the upload button, by drag and drop, and a file that is no image.</summary>
[Collection(PageCollection.Name)]
public sealed class UploadTests(PageServer server)
{
    // MNIST test images 1 and 4 (a 2 and a 4): the first of their digits in the test set.
    private const int PngIndex = 1;
    private const int JpegIndex = 4;

    [Fact]
    public async Task An_image_chosen_with_the_upload_button_is_read()
    {
        await using var session = await PageSession.OpenAsync(server);
        var label = MnistTestSet.Labels[PngIndex];
        var file = new FilePayload { Name = "photo-of-a-digit.png", MimeType = "image/png", Buffer = TestImages.OnWhitePaper(MnistTestSet.Images[PngIndex]) };

        // The button opens the file chooser (the input itself is hidden).
        var chooser = await session.ExpectFileChooserAsync(() => session.Page.ClickAsync("#upload"));
        await chooser.SetFilesAsync(file);
        var verdict = await session.WaitForVerdictAsync();

        Assert.Equal(label.ToString(), verdict.Digit);
        await Assertions.Expect(session.Page.Locator("#pad")).ToHaveAttributeAsync("data-source", "upload");
        await Assertions.Expect(session.Page.Locator("#upload-name")).ToHaveTextAsync("photo-of-a-digit.png");
        await Assertions.Expect(session.Page.Locator("#input-canvas")).ToHaveAttributeAsync("data-state", "shown");
        // The pad shows the picture; drawing over it starts a new drawing.
        await session.DrawAsync(Digits.Strokes(1));
        Assert.Equal("1", (await session.WaitForVerdictAsync()).Digit);
        await Assertions.Expect(session.Page.Locator("#pad")).ToHaveAttributeAsync("data-source", "drawing");
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_image_dropped_on_the_page_is_read()
    {
        await using var session = await PageSession.OpenAsync(server);
        var label = MnistTestSet.Labels[JpegIndex];
        var bytes = Convert.ToBase64String(TestImages.OnWhitePaper(MnistTestSet.Images[JpegIndex], size: 120, jpeg: true));

        var transfer = await session.Page.EvaluateHandleAsync("""
            (b64) => {
              const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], 'scan.jpg', { type: 'image/jpeg' }));
              return transfer;
            }
            """, bytes);
        var args = new Dictionary<string, object> { ["dataTransfer"] = transfer };
        await session.Page.DispatchEventAsync("#pad", "dragenter", args);
        await Assertions.Expect(session.Page.Locator("body")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("is-dragging"));
        await session.Page.DispatchEventAsync("#pad", "dragover", args);
        await session.Page.DispatchEventAsync("#pad", "drop", args);
        var verdict = await session.WaitForVerdictAsync();

        Assert.Equal(label.ToString(), verdict.Digit);
        await Assertions.Expect(session.Page.Locator("#upload-name")).ToHaveTextAsync("scan.jpg");
        await Assertions.Expect(session.Page.Locator("body")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("is-dragging"));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_file_name_is_shown_as_text_never_as_markup()
    {
        await using var session = await PageSession.OpenAsync(server);
        const string name = "<img src=x onerror=\"window.pwned=1\">.png";

        await session.Page.SetInputFilesAsync("#file-input", new FilePayload { Name = name, MimeType = "image/png", Buffer = TestImages.OnWhitePaper(MnistTestSet.Images[PngIndex]) });
        await session.WaitForVerdictAsync();

        await Assertions.Expect(session.Page.Locator("#upload-name")).ToHaveTextAsync(name);
        Assert.Equal(0, await session.Page.Locator("#upload-name *").CountAsync());
        Assert.False(await session.Page.EvaluateAsync<bool>("() => 'pwned' in window"));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_gets_the_services_explanation()
    {
        await using var session = await PageSession.OpenAsync(server);
        var notAnImage = "this is not a picture"u8.ToArray();

        await session.Page.SetInputFilesAsync("#file-input", new FilePayload { Name = "notes.png", MimeType = "image/png", Buffer = notAnImage });
        var verdict = await session.WaitForVerdictAsync();

        // The page shows the problem's title, as the service words it.
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(notAnImage) { Headers = { ContentType = new("image/png") } }, "image", "notes.png" },
        };
        using var direct = await server.Http.PostAsync("predict", form);
        Assert.True((int)direct.StatusCode is >= 400 and < 500, $"the service answered {direct.StatusCode}");
        var problem = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(direct.Content);
        Assert.Equal("error", verdict.State);
        Assert.Equal(problem.GetProperty("title").GetString(), verdict.Headline);
        Assert.False(string.IsNullOrWhiteSpace(await session.Page.Locator("#prediction [data-role=detail]").TextContentAsync()));
        Assert.Null(verdict.Winner);
        // The browser logs the 4xx answer itself; nothing else may go wrong.
        session.AssertNoConsoleErrors(PageSession.HttpClientErrorLog());
    }
}
