using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MnistService.Browser.Tests.Infrastructure;

/// <summary>What the page shows in its prediction card.</summary>
public sealed record Verdict(string State, string Digit, string Headline, string Meta, string? Winner);

/// <summary>
/// One browser tab on the page, with its own context. It records every console error and uncaught
/// exception, and serves the page under a strict Content-Security-Policy (our own scripts and styles
/// only) when the service does not send one, so that anything inline the CSP would block shows up
/// as a console error.
/// </summary>
public sealed partial class PageSession : IAsyncDisposable
{
    public const string StrictCsp =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];
    private readonly System.Threading.Channels.Channel<IFileChooser> _choosers = System.Threading.Channels.Channel.CreateUnbounded<IFileChooser>();

    public IPage Page { get; }
    public Uri BaseAddress { get; }

    private PageSession(IBrowserContext context, IPage page, Uri baseAddress)
    {
        _context = context;
        Page = page;
        BaseAddress = baseAddress;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add($"console: {message.Text} ({message.Location})");
                }
            }
        };
        page.PageError += (_, error) => { lock (_errors) { _errors.Add($"page error: {error}"); } };
        // Listening from the start turns on file-chooser interception before any test presses a key:
        // enabling it only around a key press races with the key press.
        page.FileChooser += (_, chooser) => _choosers.Writer.TryWrite(chooser);
    }

    /// <summary>Runs an action that should open the file chooser, and returns the chooser.</summary>
    public async Task<IFileChooser> ExpectFileChooserAsync(Func<Task> action)
    {
        while (_choosers.Reader.TryRead(out _)) { }
        await action();
        return await _choosers.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <param name="headers">Sent with every request of the page (e.g. X-Forwarded-For, as a reverse proxy would add it).</param>
    public static async Task<PageSession> OpenAsync(PageServer server, int width = 1280, int height = 900, string path = "", bool touch = false,
        IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            HasTouch = touch,
            DeviceScaleFactor = 1,
            ColorScheme = ColorScheme.Light,
            Locale = "en-GB",
            ExtraHTTPHeaders = headers,
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await page.RouteAsync(url => new Uri(url).AbsolutePath is "/" or "/index.html", async route =>
        {
            var response = await route.FetchAsync();
            var headers = new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase);
            headers.TryAdd("Content-Security-Policy", StrictCsp);
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Headers = headers });
        });
        var session = new PageSession(context, page, server.BaseAddress);
        await page.GotoAsync(new Uri(server.BaseAddress, path).ToString());
        // The model view is the last thing the page loads: once it is drawn, the page is ready.
        await page.WaitForSelectorAsync("#model[aria-busy=false] .heatmap");
        return session;
    }

    public IReadOnlyList<string> Errors { get { lock (_errors) { return [.. _errors]; } } }

    /// <summary>Fails with the recorded errors, except those matching an expected pattern.</summary>
    public void AssertNoConsoleErrors(params Regex[] expected)
    {
        var unexpected = Errors.Where(e => !expected.Any(r => r.IsMatch(e))).ToList();
        Assert.True(unexpected.Count == 0, "Console errors:\n" + string.Join("\n", unexpected));
    }

    /// <summary>Draws strokes (points in pad units, 0..1) with real mouse moves on the drawing pad.</summary>
    public Task DrawAsync(params (double X, double Y)[][] strokes) => DrawOnAsync("#pad", strokes);

    /// <summary>Draws strokes (points in pad units, 0..1 of its width and height) on the pad <paramref name="pad"/> (its canvas inside).</summary>
    public async Task DrawOnAsync(string pad, params (double X, double Y)[][] strokes)
    {
        // Whole pad in view, clear of the sticky top bar, as a person would have it before drawing.
        await Page.Locator(pad).EvaluateAsync("e => e.scrollIntoView({ block: 'center', behavior: 'instant' })");
        var box = await Page.Locator(pad + " canvas").BoundingBoxAsync() ?? throw new InvalidOperationException("The pad is not visible.");
        float X(double x) => (float)(box.X + x * box.Width);
        float Y(double y) => (float)(box.Y + y * box.Height);
        foreach (var stroke in strokes)
        {
            var finished = await FinishedStrokesAsync(pad);
            await Page.Mouse.MoveAsync(X(stroke[0].X), Y(stroke[0].Y));
            await Page.Mouse.DownAsync();
            foreach (var (x, y) in stroke.Skip(1))
            {
                await Page.Mouse.MoveAsync(X(x), Y(y), new MouseMoveOptions { Steps = 4 });
            }
            await Page.Mouse.UpAsync();
            await WaitForFinishedStrokesAsync(pad, finished + 1);
        }
    }

    /// <summary>Strokes the pad has finished (its data-strokes attribute).</summary>
    public async Task<int> FinishedStrokesAsync(string pad = "#pad") =>
        int.Parse(await Page.Locator(pad).GetAttributeAsync("data-strokes") ?? "0");

    /// <summary>
    /// The browser acknowledges input before the page has handled it; waiting for the pad to count the
    /// stroke keeps a test from reading the answer to a half-drawn digit.
    /// </summary>
    private async Task WaitForFinishedStrokesAsync(string pad, int count) =>
        await Page.WaitForFunctionAsync("([pad, n]) => document.querySelector(pad).dataset.strokes === String(n)", new object[] { pad, count });

    /// <summary>
    /// Draws strokes with a finger or a pen, through the browser's own input pipeline (DevTools
    /// Input domain), so pointer events arrive with pointerType "touch" or "pen" as on a device.
    /// </summary>
    public async Task DrawWithAsync(string pointer, params (double X, double Y)[][] strokes)
    {
        await Page.Locator("#pad").EvaluateAsync("e => e.scrollIntoView({ block: 'center', behavior: 'instant' })");
        var box = await Page.Locator("#pad-canvas").BoundingBoxAsync() ?? throw new InvalidOperationException("The pad is not visible.");
        var cdp = await _context.NewCDPSessionAsync(Page);
        Dictionary<string, object> At(double x, double y) => new() { ["x"] = box.X + x * box.Width, ["y"] = box.Y + y * box.Height };
        foreach (var stroke in strokes)
        {
            var finished = await FinishedStrokesAsync();
            var points = stroke.Zip(stroke.Skip(1)).SelectMany(pair => Enumerable.Range(0, 6).Select(i =>
                (pair.First.X + (pair.Second.X - pair.First.X) * i / 6, pair.First.Y + (pair.Second.Y - pair.First.Y) * i / 6)))
                .Append(stroke[^1]).ToList();
            for (var i = 0; i < points.Count; i++)
            {
                var (x, y) = points[i];
                if (pointer == "touch")
                {
                    var type = i == 0 ? "touchStart" : "touchMove";
                    await cdp.SendAsync("Input.dispatchTouchEvent", new() { ["type"] = type, ["touchPoints"] = new[] { At(x, y) } });
                }
                else
                {
                    var e = At(x, y);
                    e["type"] = i == 0 ? "mousePressed" : "mouseMoved";
                    e["pointerType"] = pointer;
                    e["button"] = "left";
                    e["buttons"] = 1;
                    e["clickCount"] = 1;
                    await cdp.SendAsync("Input.dispatchMouseEvent", e);
                }
            }
            if (pointer == "touch")
            {
                await cdp.SendAsync("Input.dispatchTouchEvent", new() { ["type"] = "touchEnd", ["touchPoints"] = Array.Empty<object>() });
            }
            else
            {
                var e = At(points[^1].Item1, points[^1].Item2);
                e["type"] = "mouseReleased";
                e["pointerType"] = pointer;
                e["button"] = "left";
                e["buttons"] = 0;
                e["clickCount"] = 1;
                await cdp.SendAsync("Input.dispatchMouseEvent", e);
            }
            await WaitForFinishedStrokesAsync("#pad", finished + 1);
        }
        await cdp.DetachAsync();
    }

    /// <summary>Waits until no prediction is pending and the card shows an answer (or an error).</summary>
    public async Task<Verdict> WaitForVerdictAsync()
    {
        await Page.WaitForFunctionAsync("""
            () => {
              const card = document.querySelector('#prediction');
              return !card.classList.contains('is-busy') && ['sure', 'likely', 'unsure', 'not-digit', 'error'].includes(card.dataset.state);
            }
            """);
        return await ReadVerdictAsync();
    }

    public async Task<Verdict> ReadVerdictAsync()
    {
        var card = Page.Locator("#prediction");
        var winner = Page.Locator("#prediction .bar.is-winner");
        return new Verdict(
            await card.GetAttributeAsync("data-state") ?? "",
            (await Page.Locator("#prediction [data-role=digit]").TextContentAsync() ?? "").Trim(),
            (await Page.Locator("#prediction [data-role=headline]").TextContentAsync() ?? "").Trim(),
            (await Page.Locator("#prediction [data-role=meta]").TextContentAsync() ?? "").Trim(),
            await winner.CountAsync() == 1 ? await winner.GetAttributeAsync("data-digit") : null);
    }

    public async Task ScreenshotAsync(string name)
    {
        await Page.EvaluateAsync("() => window.scrollTo({ top: 0, behavior: 'instant' })");
        await Page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(Artifacts.Directory, name),
            FullPage = true,
            Animations = ScreenshotAnimations.Disabled,
        });
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    /// <summary>The browser's own log line for an HTTP error answer, expected when a test sends bad input.</summary>
    [GeneratedRegex(@"Failed to load resource: the server responded with a status of 4\d\d")]
    public static partial Regex HttpClientErrorLog();

    /// <summary>The browser's own log line for a 5xx answer, expected when a test makes the service unavailable.</summary>
    [GeneratedRegex(@"Failed to load resource: the server responded with a status of 5\d\d")]
    public static partial Regex HttpServerErrorLog();
}
