using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>Looking inside: misread test digits behind a matrix cell, live activations, two models side by side.</summary>
[Collection(PageCollection.Name)]
public sealed class InsightPageTests(PageServer server)
{
    private async Task<List<JsonElement>> MisreadAsync(string model, int actual, int predicted) =>
        (await server.GetJsonAsync($"models/{model}")).GetProperty("report").GetProperty("misread").EnumerateArray()
            .Where(m => m.GetProperty("label").GetInt32() == actual && m.GetProperty("digit").GetInt32() == predicted).ToList();

    [Fact]
    public async Task Clicking_the_4_read_as_9_cell_shows_those_test_images_of_4s_with_their_probabilities()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        var expected = await MisreadAsync(PageServer.DefaultModel, 4, 9);
        Assert.NotEmpty(expected); // the tutorial's most frequent confusion

        await page.ClickAsync("#confusion td.cell[data-actual='4'][data-predicted='9']");

        var items = page.Locator("#misread .misread-grid li.misread-item");
        await Assertions.Expect(items).ToHaveCountAsync(Math.Min(60, expected.Count));
        Assert.Equal(expected.Select(m => m.GetProperty("index").GetInt32().ToString()),
            await items.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.index)"));
        Assert.All(await items.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.label)"), label => Assert.Equal("4", label));
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#misread img')].every(i => i.complete && i.naturalWidth === 28)");
        await Assertions.Expect(page.Locator("#misread .misread-title")).ToContainTextAsync($"4 read as 9: {expected.Count} test image");

        // Each image is the test set's, and the bar the model read is the 9, with the probability from the report.
        var first = expected[0];
        var index = first.GetProperty("index").GetInt32();
        using var image = await server.Http.GetAsync($"datasets/mnist/test/{index}");
        Assert.Equal("4", Assert.Single(image.Headers.GetValues("X-Mnist-Label")));
        var read = items.First.Locator(".misread-probs li.is-read");
        await Assertions.Expect(read.Locator("span").First).ToHaveTextAsync("9");
        var p9 = first.GetProperty("probabilities")[9].GetDouble();
        await Assertions.Expect(read.Locator("span").Last).ToHaveTextAsync($"{p9 * 100:0.0}%");
        await Assertions.Expect(page.Locator("#confusion td.cell.is-selected")).ToHaveAttributeAsync("data-actual", "4");
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_report_without_misread_images_and_missing_mnist_are_said_while_the_counts_stay()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        await page.RouteAsync("**/models/" + PageServer.SecondModel, async route =>
        {
            var response = await route.FetchAsync();
            var body = JsonNode.Parse(await response.TextAsync())!;
            body["report"]!["misread"] = null;
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Body = body.ToJsonString() });
        });
        await ChooseModelAsync(page, PageServer.SecondModel);

        await Assertions.Expect(page.Locator("#misread [data-role=misread-note]")).ToContainTextAsync("does not list the test images it misread");
        var cell = page.Locator("#confusion td.cell.is-error:not(.is-zero)").First;
        var count = await cell.GetAttributeAsync("data-count");
        await cell.ClickAsync();
        await Assertions.Expect(page.Locator("#misread .misread-title")).ToContainTextAsync($": {count} test image");

        // The service without MNIST: the page says why the pictures are missing and still lists the readings.
        await ChooseModelAsync(page, PageServer.DefaultModel);
        await page.RouteAsync("**/datasets/mnist/test/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 503,
            ContentType = "application/problem+json",
            Body = """{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"MNIST not available","status":503,"detail":"The MNIST test set is not available to the service."}""",
        }));
        await page.ClickAsync("#confusion td.cell[data-actual='4'][data-predicted='9']");
        await Assertions.Expect(page.Locator("#misread .misread-problem")).ToContainTextAsync("MNIST not available");
        Assert.True(await page.Locator("#misread li.misread-item").CountAsync() > 0);
        session.AssertNoConsoleErrors(PageSession.HttpServerErrorLog());
    }

    private static async Task ChooseModelAsync(IPage page, string model)
    {
        await page.SelectOptionAsync("#model-select", model);
        await Assertions.Expect(page.Locator("#model-name")).ToHaveTextAsync(model);
        await page.WaitForSelectorAsync("#model[aria-busy=false] .heatmap");
    }

    [Fact]
    public async Task Drawing_a_digit_shows_each_hidden_layers_activations_and_they_change_with_the_drawing()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        await Assertions.Expect(page.Locator("#live [data-role=live-note]")).ToBeVisibleAsync();

        await session.DrawAsync(Digits.Strokes(1));
        var one = await session.WaitForVerdictAsync();
        var layers = page.Locator("#live .units");
        await Assertions.Expect(layers).ToHaveCountAsync(2);
        var before = await ActivationsAsync(page);
        Assert.Equal([256, 128], before.Select(l => l.Length));
        Assert.Contains(before[0], v => v > 0);
        Assert.Equal(one.Digit, await page.Locator("#live .logits li.is-winner").GetAttributeAsync("data-digit"));

        const string units = "[...document.querySelectorAll('#live .units .unit')].map(u => u.title).join()";
        var shown = await page.EvaluateAsync<string>($"() => {units}");
        await session.DrawAsync([[(0.30, 0.20), (0.70, 0.20)]]); // a bar on top: the 1 becomes a 7
        await session.WaitForVerdictAsync();
        await page.WaitForFunctionAsync($"old => {units} !== old", shown);
        var after = await ActivationsAsync(page);
        Assert.NotEqual(before[0], after[0]);
        Assert.Equal(10, await page.Locator("#live .logits li").CountAsync());

        await page.ClickAsync("#clear");
        await Assertions.Expect(page.Locator("#live [data-role=live-note]")).ToBeVisibleAsync();
        session.AssertNoConsoleErrors();
    }

    private static async Task<double[][]> ActivationsAsync(IPage page) =>
        await page.Locator("#live .units").EvaluateAllAsync<double[][]>(
            "grids => grids.map(g => [...g.querySelectorAll('.unit')].map(u => parseFloat(u.title.split(': ')[1])))");

    [Fact]
    public async Task Two_models_side_by_side_show_their_summaries_a_difference_table_and_both_readings()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        await Assertions.Expect(page.Locator("#compare-a")).ToHaveValueAsync(PageServer.DefaultModel);
        await Assertions.Expect(page.Locator("#compare-b")).ToHaveValueAsync(PageServer.SecondModel);

        // Every row is a confusion the two reports count differently; the first of B's rows is the one B has most more of.
        var rows = page.Locator("#compare [data-role=difference] tbody tr");
        await Assertions.Expect(rows.First).ToBeVisibleAsync();
        var a = Confusion(await server.GetJsonAsync($"models/{PageServer.DefaultModel}"));
        var b = Confusion(await server.GetJsonAsync($"models/{PageServer.SecondModel}"));
        var shown = await rows.EvaluateAllAsync<string[][]>("rs => rs.map(r => [r.dataset.actual, r.dataset.predicted, ...[...r.children].map(c => c.textContent)])");
        Assert.InRange(shown.Length, 1, 12);
        foreach (var row in shown)
        {
            int t = int.Parse(row[0]), p = int.Parse(row[1]);
            Assert.Equal([$"{t} read as {p}", a[t][p].ToString(), b[t][p].ToString(), $"{(a[t][p] > b[t][p] ? "A" : "B")} +{Math.Abs(a[t][p] - b[t][p])}"], row[2..]);
        }
        var bMost = Enumerable.Range(0, 100).Where(i => i / 10 != i % 10).Max(i => b[i / 10][i % 10] - a[i / 10][i % 10]);
        Assert.Equal($"B +{bMost}", shown.First(r => r[5].StartsWith('B'))[5]);
        await Assertions.Expect(page.Locator("#compare [data-role=compare-summary] tbody tr").Last).ToContainTextAsync("s");
        await Assertions.Expect(page.Locator("#compare .compare-matrix")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#compare .chart-series")).ToHaveCountAsync(4);

        await session.DrawAsync(Digits.Strokes(7));
        await session.WaitForVerdictAsync();
        await page.Locator("#compare [data-role=readings]").ScrollIntoViewIfNeededAsync(); // read only where seen
        var readings = page.Locator("#compare [data-role=readings] .reading");
        await Assertions.Expect(readings).ToHaveCountAsync(2);
        Assert.Equal([PageServer.DefaultModel, PageServer.SecondModel], await readings.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.model)"));
        Assert.Equal("7", await readings.First.GetAttributeAsync("data-digit"));
        session.AssertNoConsoleErrors();
    }

    private static int[][] Confusion(JsonElement model) =>
        model.GetProperty("report").GetProperty("test").GetProperty("confusion").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();

    [Theory]
    [InlineData("desktop", 1280, 900)]
    [InlineData("phone", 390, 844)]
    public async Task Screenshots_of_the_inside_views_with_nothing_cut_off(string name, int width, int height)
    {
        await using var session = await PageSession.OpenAsync(server, width, height);
        var page = session.Page;
        await session.DrawAsync(Digits.Strokes(7));
        await session.WaitForVerdictAsync();
        await page.ClickAsync("#confusion td.cell[data-actual='4'][data-predicted='9']");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#misread img')].every(i => i.complete && i.naturalWidth > 0)");
        await page.WaitForSelectorAsync("#tiles img.weight-tiles");
        await page.WaitForFunctionAsync("() => document.querySelector('#tiles img').complete");
        await page.Locator("#compare [data-role=readings]").ScrollIntoViewIfNeededAsync();
        await page.WaitForSelectorAsync("#compare [data-role=readings] .reading");
        await page.Mouse.MoveAsync(0, 0);

        foreach (var section in new[] { "misread-card", "inside", "compare" })
        {
            var box = await page.Locator(section == "misread-card" ? ".misread-card" : $"#{section}").EvaluateAsync<double[]>(
                "e => { const r = e.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }");
            await page.ScreenshotAsync(new PageScreenshotOptions
            {
                Path = Path.Combine(Artifacts.Directory, $"insight-{name}-{section}.png"),
                FullPage = true,
                Clip = new Clip { X = (float)box[0], Y = (float)box[1], Width = (float)box[2], Height = (float)box[3] },
            });
        }

        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the {width}px viewport");
        var outside = await page.Locator("#inside .card, #compare .card, .misread-card").EvaluateAllAsync<string[]>(
            "els => els.filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth; }).map(e => e.className)");
        Assert.Empty(outside);
        session.AssertNoConsoleErrors();
    }
}
