using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>The number pad: a number drawn or uploaded is read whole, each digit boxed, its probabilities on pointing.</summary>
[Collection(PageCollection.Name)]
public sealed class NumberPadTests(PageServer server)
{
    /// <summary>Width over height of the number pad (js/numbers.js).</summary>
    private const double Aspect = 4;

    /// <summary>The test digits drawn side by side, each in a square of the pad's height starting at <paramref name="lefts"/>.</summary>
    private static (double X, double Y)[][] Number(int[] digits, double[] lefts) =>
        [.. digits.SelectMany((digit, i) => Digits.Strokes(digit).Select(stroke => stroke.Select(p => (lefts[i] + p.X / Aspect, p.Y)).ToArray()))];

    private static async Task<string> WaitForReadingAsync(IPage page)
    {
        await page.WaitForFunctionAsync("() => ['read', 'error'].includes(document.querySelector('#number-text').dataset.state)");
        return await page.Locator("#number-text").TextContentAsync() ?? "";
    }

    [Fact]
    public async Task A_drawn_number_is_read_boxed_and_each_digit_shows_its_probabilities()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;

        await session.DrawOnAsync("#number-pad", Number([1, 7, 0, 1], [0.05, 0.22, 0.40, 0.70]));
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#number-boxes .digit-box').length === 4");
        Assert.Equal("170 1", await WaitForReadingAsync(page));
        var labels = await page.Locator("#number-boxes .digit-box span").AllTextContentsAsync();
        Assert.Equal(["1", "7", "0", "1"], labels);

        // Each box lies over its digit: the boxes go left to right inside the pad.
        var pad = (await page.Locator("#number-pad").BoundingBoxAsync())!;
        var boxes = new List<LocatorBoundingBoxResult>();
        foreach (var box in await page.Locator("#number-boxes .digit-box").AllAsync())
        {
            boxes.Add((await box.BoundingBoxAsync())!);
        }
        for (var i = 0; i < boxes.Count; i++)
        {
            Assert.InRange(boxes[i].X, pad.X, pad.X + pad.Width);
            Assert.InRange(boxes[i].Y + boxes[i].Height / 2, pad.Y + pad.Height * 0.3, pad.Y + pad.Height * 0.7);
            if (i > 0)
            {
                Assert.True(boxes[i].X > boxes[i - 1].X + boxes[i - 1].Width, "boxes overlap or are out of order");
            }
        }

        await page.Locator("#number-boxes .digit-box").Nth(1).HoverAsync();
        await Assertions.Expect(page.Locator("#number-digit [data-role=digit]")).ToHaveTextAsync("7");
        var percents = await page.Locator("#number-digit .bar .bar-value").AllTextContentsAsync();
        var total = percents.Sum(p => double.Parse(p.Replace("%", "").Trim(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(total, 99.0, 101.0);
        await Assertions.Expect(page.Locator("#number-digit [data-role=meta]")).ToContainTextAsync("Digit 2 of 4");
        if (Environment.GetEnvironmentVariable("MNIST_SCREENSHOTS") is { } folder)
        {
            await page.Locator("#number").ScreenshotAsync(new() { Path = Path.Combine(folder, "number-drawn.png") });
        }

        await page.ClickAsync("#number-clear");
        await Assertions.Expect(page.Locator("#number-text")).ToHaveAttributeAsync("data-state", "idle");
        Assert.Equal(0, await page.Locator("#number-boxes .digit-box").CountAsync());
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_uploaded_photo_of_a_number_is_read_the_same_way()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        var number = NumberImages.Make(NumberStyle.Paper, [1, 2, 3, 4, 15, 11, 18, 0], new Random(7), 60);

        var chooser = await session.ExpectFileChooserAsync(() => page.ClickAsync("#number-upload"));
        await chooser.SetFilesAsync(new FilePayload { Name = "number.jpg", MimeType = number.ContentType, Buffer = number.Bytes });

        Assert.Equal(number.Text.Replace(" ", ""), (await WaitForReadingAsync(page)).Replace(" ", ""));
        Assert.Equal(8, await page.Locator("#number-boxes .digit-box").CountAsync());
        await Assertions.Expect(page.Locator("#number-pad")).ToHaveAttributeAsync("data-source", "upload");
        if (Environment.GetEnvironmentVariable("MNIST_SCREENSHOTS") is { } folder)
        {
            await page.Locator("#number").ScreenshotAsync(new() { Path = Path.Combine(folder, "number-uploaded.png") });
        }
        session.AssertNoConsoleErrors();
    }
}
