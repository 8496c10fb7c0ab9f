using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>Keyboard use, visible focus, a clean console, and the page at desktop and phone sizes.</summary>
[Collection(PageCollection.Name)]
public sealed class PageQualityTests(PageServer server)
{
    [Fact]
    public async Task The_main_controls_are_reachable_with_the_keyboard_and_show_their_focus()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        await session.DrawAsync(Digits.Strokes(7)); // enables undo and clear
        await session.WaitForVerdictAsync();
        // Start from the top of the page, as after loading it: the skip link is the first stop.
        await page.FocusAsync("a.skip-link");

        var reached = new List<string>();
        for (var i = 0; i < 32; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string[]>(
                "() => { const e = document.activeElement; const s = getComputedStyle(e); return [e.id || (e.closest('#feedback') ? 'feedback' : ''), s.outlineStyle + ' ' + s.outlineWidth]; }");
            var (id, outline) = (focused[0], focused[1]);
            if (id is "")
            {
                continue;
            }

            reached.Add(id);
            Assert.True(!outline.StartsWith("none") && !outline.EndsWith(" 0px"), $"#{id} has no visible focus ({outline})");
        }
        // "Right?" (a confirm button and nine digits) follows the reading it asks about.
        string[] controls = ["model-select", "pad", "undo", "clear", "upload", "feedback", "show-values", "input-canvas"];
        Assert.Equal(10, reached.Count(id => id == "feedback"));
        Assert.Equal(controls, reached.Where(controls.Contains).Distinct());

        // The pad: Backspace undoes the stroke.
        await page.FocusAsync("#pad");
        await page.Keyboard.PressAsync("Backspace");
        await Assertions.Expect(page.Locator("#prediction")).ToHaveAttributeAsync("data-state", "idle");

        // The pixel values toggle and the input image work from the keyboard.
        await session.DrawAsync(Digits.Strokes(1));
        await session.WaitForVerdictAsync();
        await page.FocusAsync("#show-values");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.Locator("#show-values")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.FocusAsync("#input-canvas");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowDown");
        await Assertions.Expect(page.Locator("#pixel-readout")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Row 15, column 15: \d+ of 255"));

        // Enter on the upload button opens the file chooser, and the chosen image is read.
        await page.FocusAsync("#upload");
        var chooser = await session.ExpectFileChooserAsync(() => page.Keyboard.PressAsync("Enter"));
        Assert.False(chooser.IsMultiple);
        await chooser.SetFilesAsync(new FilePayload { Name = "digit.png", MimeType = "image/png", Buffer = TestImages.OnWhitePaper(MnistTestSet.Images[0]) });
        Assert.Equal(MnistTestSet.Labels[0].ToString(), (await session.WaitForVerdictAsync()).Digit);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task When_the_service_cannot_be_reached_the_page_says_so()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        await page.RouteAsync(url => new Uri(url).AbsolutePath is "/predict" or "/models", route => route.AbortAsync("connectionrefused"));

        await session.DrawAsync(Digits.Strokes(7));
        var verdict = await session.WaitForVerdictAsync();
        Assert.Equal("error", verdict.State);
        Assert.Equal("The service is not reachable", verdict.Headline);

        // A fresh start without the model list: the chooser and a banner say what is wrong.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#banner")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("Could not list the models");
        await Assertions.Expect(page.Locator("#model-select")).ToBeDisabledAsync();
        // Only the browser's own network log lines, no exception from the page.
        session.AssertNoConsoleErrors(new System.Text.RegularExpressions.Regex("net::ERR_CONNECTION_REFUSED"));
    }

    [Fact]
    public async Task Using_every_feature_leaves_no_console_errors()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;

        await session.DrawAsync(Digits.Strokes(0));
        await session.WaitForVerdictAsync();
        await page.ClickAsync("#show-values");
        await page.HoverAsync("#input-canvas");
        await page.HoverAsync(".heatmap td.cell >> nth=44");
        await page.HoverAsync(".confusions li >> nth=0");
        await page.HoverAsync("#curves circle.chart-point >> nth=0");
        await page.ClickAsync("#undo");
        await page.SetInputFilesAsync("#file-input", new FilePayload { Name = "digit.png", MimeType = "image/png", Buffer = TestImages.OnWhitePaper(MnistTestSet.Images[0]) });
        await session.WaitForVerdictAsync();
        await page.SelectOptionAsync("#model-select", PageServer.SecondModel);
        await session.WaitForVerdictAsync();
        await page.WaitForSelectorAsync("#model[aria-busy=false]");
        await page.SetViewportSizeAsync(390, 844);
        await page.ClickAsync("#clear");

        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task The_page_runs_under_a_strict_content_security_policy_with_nothing_inline()
    {
        await using var session = await PageSession.OpenAsync(server);
        var response = await session.Page.ReloadAsync();
        await session.Page.WaitForSelectorAsync("#model[aria-busy=false] .heatmap");

        var policy = (await response!.AllHeadersAsync()).GetValueOrDefault("content-security-policy") ?? "";
        var directives = policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', 2)).ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");
        foreach (var kind in new[] { "script-src", "style-src" })
        {
            // What the browser enforces for scripts and styles: their own directive, else default-src.
            var sources = directives.GetValueOrDefault(kind) ?? directives.GetValueOrDefault("default-src") ?? "*";
            Assert.Equal("'self'", sources);
        }
        var html = await server.Http.GetStringAsync("");
        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", html); // every script is a file
        Assert.DoesNotMatch(@"\sstyle\s*=|<style", html);
        Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);
        Assert.Equal(0, await session.Page.Locator("script:not([src])").CountAsync());
        session.AssertNoConsoleErrors();
    }

    [Theory]
    [InlineData("desktop", 1280, 900)]
    [InlineData("phone", 390, 844)]
    public async Task Screenshots_at_desktop_and_phone_size_with_nothing_cut_off(string name, int width, int height)
    {
        await using var session = await PageSession.OpenAsync(server, width, height);
        var page = session.Page;

        await session.DrawAsync(Digits.Strokes(7));
        Assert.Equal("7", (await session.WaitForVerdictAsync()).Digit);
        await page.Mouse.MoveAsync(0, 0);
        await session.ScreenshotAsync($"page-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts.Directory, $"page-{name}-first-screen.png") });

        // Nothing sticks out sideways: no horizontal scrolling, every card inside the viewport.
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the {width}px viewport");
        var outside = await page.Locator(".card, .toolbar .button").EvaluateAllAsync<string[]>(
            "els => els.filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth; }).map(e => e.id || e.className)");
        Assert.Empty(outside);

        await page.ClickAsync("#show-values");
        await page.HoverAsync("#input-canvas");
        // A full-page capture clipped to the card, so the sticky top bar does not cover it.
        var card = await page.Locator("#sees").EvaluateAsync<double[]>(
            "e => { const r = e.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }");
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(Artifacts.Directory, $"page-{name}-pixel-values.png"),
            FullPage = true,
            Clip = new Clip { X = (float)card[0], Y = (float)card[1], Width = (float)card[2], Height = (float)card[3] },
        });
        session.AssertNoConsoleErrors();
    }
}
