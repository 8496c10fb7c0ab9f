using System.Text.Json;
using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>Drawing on the pad: the digit is read live, the bars and "what the network sees" follow.</summary>
[Collection(PageCollection.Name)]
public sealed class DrawingTests(PageServer server)
{
    private static bool IsPredict(string url) => new Uri(url).AbsolutePath == "/predict";

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(7)]
    public async Task A_drawn_digit_is_read_and_shown_with_its_probabilities(int digit)
    {
        await using var session = await PageSession.OpenAsync(server);

        await session.DrawAsync(Digits.Strokes(digit));
        var verdict = await session.WaitForVerdictAsync();

        Assert.Equal(digit.ToString(), verdict.Digit);
        Assert.Contains(verdict.State, new[] { "sure", "likely", "unsure" });
        Assert.Equal(digit.ToString(), verdict.Winner);
        Assert.StartsWith(PageServer.DefaultModel + " ·", verdict.Meta);
        var percents = await session.Page.Locator("#prediction .bar .bar-value").AllTextContentsAsync();
        Assert.Equal(10, percents.Count);
        var total = percents.Sum(p => double.Parse(p.Replace("%", "").Trim(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(total, 99.0, 101.0);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_finger_and_a_pen_draw_as_the_mouse_does_without_scrolling_the_page()
    {
        await using var session = await PageSession.OpenAsync(server, 390, 844, touch: true);
        var page = session.Page;
        var kinds = new List<string>();
        await page.ExposeFunctionAsync("reportPointer", (string kind) => { lock (kinds) { kinds.Add(kind); } });
        await page.EvaluateAsync("() => document.querySelector('#pad-canvas').addEventListener('pointerdown', e => window.reportPointer(e.pointerType))");

        await page.Locator("#pad").EvaluateAsync("e => e.scrollIntoView({ block: 'center', behavior: 'instant' })");
        var scrolled = await page.EvaluateAsync<double>("() => scrollY");
        await session.DrawWithAsync("touch", Digits.Strokes(1));
        Assert.Equal("1", (await session.WaitForVerdictAsync()).Digit);
        Assert.Equal(scrolled, await page.EvaluateAsync<double>("() => scrollY")); // the finger drew, it did not scroll

        await page.ClickAsync("#clear");
        await session.DrawWithAsync("pen", Digits.Strokes(7));
        Assert.Equal("7", (await session.WaitForVerdictAsync()).Digit);
        lock (kinds)
        {
            Assert.Equal(new[] { "touch", "pen" }, kinds);
        }

        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Live_prediction_never_has_more_than_one_request_in_flight_and_shows_the_final_drawing()
    {
        await using var session = await PageSession.OpenAsync(server);
        var inFlight = 0;
        var maxInFlight = 0;
        var sent = 0;
        void Started(object? _, IRequest r)
        {
            if (!IsPredict(r.Url))
            {
                return;
            }

            sent++;
            maxInFlight = Math.Max(maxInFlight, Interlocked.Increment(ref inFlight));
        }
        void Ended(object? _, IRequest r) { if (IsPredict(r.Url)) { Interlocked.Decrement(ref inFlight); } }
        session.Page.Request += Started;
        session.Page.RequestFinished += Ended;
        session.Page.RequestFailed += Ended;

        // A slow 7: its top bar first, held while the pen travels, so predictions arrive mid-stroke.
        var box = (await session.Page.Locator("#pad-canvas").BoundingBoxAsync())!;
        var moves = 0;
        async Task MoveTo(double x, double y)
        {
            await session.Page.Mouse.MoveAsync((float)(box.X + x * box.Width), (float)(box.Y + y * box.Height));
            moves++;
            await Task.Delay(12);
        }
        await MoveTo(0.30, 0.22);
        await session.Page.Mouse.DownAsync();
        for (var i = 1; i <= 30; i++)
        {
            await MoveTo(0.30 + 0.40 * i / 30, 0.22);
        }

        var midStroke = sent;
        for (var i = 1; i <= 40; i++)
        {
            await MoveTo(0.70 - 0.24 * i / 40, 0.22 + 0.60 * i / 40);
        }

        await session.Page.Mouse.UpAsync();
        await Assertions.Expect(session.Page.Locator("#pad")).ToHaveAttributeAsync("data-strokes", "1");
        var verdict = await session.WaitForVerdictAsync();

        Assert.Equal(1, maxInFlight);
        Assert.True(midStroke >= 1, "No prediction was requested while the stroke was still being drawn.");
        Assert.True(sent < moves / 2, $"{sent} requests for {moves} pointer moves: the requests are not debounced.");
        Assert.Equal("7", verdict.Digit);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task What_the_network_sees_is_the_services_input_with_pixel_values_on_hover()
    {
        await using var session = await PageSession.OpenAsync(server);
        var answers = new List<IResponse>();
        session.Page.Response += (_, r) => { if (IsPredict(r.Url)) { lock (answers) { answers.Add(r); } } };

        await session.DrawAsync(Digits.Strokes(7));
        await session.WaitForVerdictAsync();
        // Requests go one at a time, so the last answer is the one on screen.
        IResponse last;
        lock (answers)
        {
            last = answers[^1];
        }

        Assert.Equal(200, last.Status);
        var body = await last.JsonAsync();
        var input = body!.Value.GetProperty("input");
        var pixels = input.GetProperty("pixels").EnumerateArray().Select(p => p.GetSingle()).ToArray();
        Assert.Equal(784, pixels.Length);
        var brightest = Array.IndexOf(pixels, pixels.Max());
        var (row, column) = (brightest / 28, brightest % 28);

        var canvas = session.Page.Locator("#input-canvas");
        Assert.Equal("shown", await canvas.GetAttributeAsync("data-state"));
        var box = (await canvas.BoundingBoxAsync())!;
        await session.Page.Mouse.MoveAsync((float)(box.X + (column + 0.5) * box.Width / 28), (float)(box.Y + (row + 0.5) * box.Height / 28));

        var expected = (int)Math.Round(pixels[brightest] * 255, MidpointRounding.AwayFromZero);
        await Assertions.Expect(session.Page.Locator("#pixel-readout"))
            .ToHaveTextAsync($"Row {row}, column {column}: {expected} of 255 (input {expected / 255.0:0.00})");

        // The canvas really shows the image: the hovered cell is bright, a corner is black.
        var shade = await canvas.EvaluateAsync<int[]>("""
            (c, [row, col]) => {
              const ctx = c.getContext('2d'), cell = c.width / 28;
              const at = (r, k) => ctx.getImageData(Math.floor((k + 0.5) * cell), Math.floor((r + 0.5) * cell), 1, 1).data[0];
              return [at(row, col), at(0, 0)];
            }
            """, new[] { row, column });
        Assert.True(shade[0] > 200, $"the brightest input pixel is drawn with {shade[0]}");
        Assert.Equal(0, shade[1]);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Undo_removes_the_last_stroke_and_clear_empties_the_pad()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;

        await session.DrawAsync(Digits.Strokes(1));
        Assert.Equal("1", (await session.WaitForVerdictAsync()).Digit);
        // A second stroke across the top turns it into something else; undo brings the 1 back.
        await session.DrawAsync([(0.25, 0.2), (0.75, 0.2)]);
        await session.WaitForVerdictAsync();
        await page.ClickAsync("#undo");
        await Assertions.Expect(page.Locator("#pad")).ToHaveAttributeAsync("data-strokes", "1");
        Assert.Equal("1", (await session.WaitForVerdictAsync()).Digit);

        await page.ClickAsync("#clear");
        await Assertions.Expect(page.Locator("#prediction")).ToHaveAttributeAsync("data-state", "idle");
        await Assertions.Expect(page.Locator("#input-canvas")).ToHaveAttributeAsync("data-state", "empty");
        await Assertions.Expect(page.Locator("#undo")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#clear")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#pad")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bis-empty\b"));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_confidence_is_put_in_words_when_the_network_is_unsure()
    {
        await using var session = await PageSession.OpenAsync(server);

        var words = await session.Page.EvaluateAsync<JsonElement>("""
            async () => {
              const { describe } = await import('./js/prediction.js');
              const sure = describe([0.01, 0.95, 0.01, 0.01, 0.005, 0.005, 0.0, 0.0, 0.01, 0.0]);
              const likely = describe([0, 0, 0, 0, 0.7, 0, 0, 0, 0, 0.3]);
              const unsure = describe([0, 0, 0, 0, 0.48, 0, 0, 0, 0.13, 0.39]);
              const eight = describe([0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5]);
              return { sure, likely, unsure, eight };
            }
            """);

        Assert.Equal("sure", words.GetProperty("sure").GetProperty("level").GetString());
        Assert.Equal("It's a 1.", words.GetProperty("sure").GetProperty("headline").GetString());
        Assert.Equal("Probably a 4.", words.GetProperty("likely").GetProperty("headline").GetString());
        Assert.Contains("could be a 9", words.GetProperty("likely").GetProperty("detail").GetString());
        Assert.Equal("A 4 or a 9?", words.GetProperty("unsure").GetProperty("headline").GetString());
        Assert.Contains("unsure", words.GetProperty("unsure").GetProperty("detail").GetString());
        Assert.Equal("An 8 or a 9?", words.GetProperty("eight").GetProperty("headline").GetString());
        session.AssertNoConsoleErrors();
    }
}
