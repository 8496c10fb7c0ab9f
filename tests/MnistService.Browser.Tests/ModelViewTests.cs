using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;
using MnistService.Core.Network;
using MnistService.Core.Training;
using MnistService.Testing;

namespace MnistService.Browser.Tests;

/// <summary>The model chooser and the model view: summary, training curves, confusion matrix.</summary>
[Collection(PageCollection.Name)]
public sealed class ModelViewTests(PageServer server)
{
    [Fact]
    public async Task The_heatmap_shows_the_whole_test_set_with_rows_true_and_columns_predicted()
    {
        await using var session = await PageSession.OpenAsync(server);
        var confusion = await server.GetJsonAsync($"metrics/confusion?model={PageServer.DefaultModel}");
        var matrix = confusion.GetProperty("matrix").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();

        var cells = await session.Page.Locator(".heatmap td.cell").EvaluateAllAsync<int[][]>(
            "cells => cells.map(c => [+c.dataset.actual, +c.dataset.predicted, +c.dataset.count, +c.textContent])");

        Assert.Equal(100, cells.Length);
        Assert.Equal(10_000, cells.Sum(c => c[2]));
        Assert.All(cells, c => Assert.Equal(c[2], c[3])); // the count is written in the cell
        Assert.All(cells, c => Assert.Equal(matrix[c[0]][c[1]], c[2])); // rows true, columns predicted

        // The most frequent confusion is named in words.
        var (actual, predicted) = Enumerable.Range(0, 100).Select(i => (i / 10, i % 10)).Where(p => p.Item1 != p.Item2)
            .OrderByDescending(p => matrix[p.Item1][p.Item2]).First();
        var count = matrix[actual][predicted];
        var first = await session.Page.Locator(".confusions li").First.TextContentAsync();
        Assert.Equal($"{actual} read as {predicted}: {count} times", first);

        // Per-class precision and recall, one row per digit, as the service computed them.
        var rows = await session.Page.Locator(".perclass tbody tr").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [...r.children].map(c => c.textContent))");
        Assert.Equal(10, rows.Length);
        foreach (var metrics in confusion.GetProperty("perClass").EnumerateArray())
        {
            var digit = metrics.GetProperty("digit").GetInt32();
            Assert.Equal(digit.ToString(), rows[digit][0]);
            Assert.Equal((metrics.GetProperty("precision").GetDouble() * 100).ToString("0.0", CultureInfo.InvariantCulture), rows[digit][1]);
            Assert.Equal((metrics.GetProperty("recall").GetDouble() * 100).ToString("0.0", CultureInfo.InvariantCulture), rows[digit][2]);
        }
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_training_curves_have_one_point_per_epoch_for_each_series()
    {
        await using var session = await PageSession.OpenAsync(server);
        var details = await server.GetJsonAsync($"models/{PageServer.DefaultModel}");
        var history = details.GetProperty("report").GetProperty("history");
        var epochs = history.GetArrayLength();
        Assert.True(epochs >= 1, "the model's report has no history");

        foreach (var series in new[] { "accuracy", "val_accuracy", "loss", "val_loss" })
        {
            var points = session.Page.Locator($"#curves [data-series={series}] circle.chart-point");
            Assert.Equal(epochs, await points.CountAsync());
            var numbered = await points.EvaluateAllAsync<int[]>("ps => ps.map(p => +p.dataset.epoch)");
            Assert.Equal(Enumerable.Range(1, epochs), numbered);
        }
        // Each point carries its value: the last validation accuracy as the report has it.
        var last = history[epochs - 1];
        var lastVal = (last.TryGetProperty("valAccuracy", out var v) ? v : last.GetProperty("val_accuracy")).GetDouble();
        var title = await session.Page.Locator("#curves [data-series=val_accuracy] circle.chart-point").Last.Locator("title").TextContentAsync();
        Assert.Equal($"Epoch {epochs}: validation accuracy {(lastVal * 100).ToString("0.00", CultureInfo.InvariantCulture)}%", title);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_summary_lists_the_layers_and_the_parameter_count()
    {
        await using var session = await PageSession.OpenAsync(server);
        var report = (await server.GetJsonAsync($"models/{PageServer.DefaultModel}")).GetProperty("report");
        var architecture = report.GetProperty("architecture");

        var layers = architecture.GetProperty("layers").GetArrayLength();
        Assert.Equal(layers + 1, await session.Page.Locator(".summary-table tbody tr").CountAsync()); // + the input's flatten
        var parameters = architecture.GetProperty("parameters").GetInt32();
        await Assertions.Expect(session.Page.Locator("[data-role=total-parameters]"))
            .ToHaveTextAsync(parameters.ToString("N0", CultureInfo.InvariantCulture));
        var accuracy = report.GetProperty("test").GetProperty("accuracy").GetDouble();
        await Assertions.Expect(session.Page.Locator(".facts .fact").First.Locator("dd"))
            .ToHaveTextAsync((accuracy * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%");
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_summary_of_a_convolutional_network_shows_its_blocks_with_their_shapes_then_the_flatten()
    {
        const string name = "convolutional";
        var path = Path.Combine(server.ModelsDirectory, name + ".onnx");
        File.WriteAllBytes(path, InsightModels.Train(new TrainingSettings { Convolutions = [4, 8], Hidden = [16], Epochs = 1, Detector = DetectorKind.None }, 3000));
        try
        {
            await WaitUntilListedAsync(name, listed: true);
            await using var session = await PageSession.OpenAsync(server, path: "?model=" + name);
            var rows = session.Page.Locator(".summary-table tbody tr");
            await Assertions.Expect(rows).ToHaveCountAsync(8); // conv, pool, conv, pool, flatten, dense, dropout, dense
            string[] expected = ["conv_1 (Conv2D) (None, 28, 28, 4)", "max_pooling_1 (MaxPooling2D) (None, 14, 14, 4)",
                "conv_2 (Conv2D) (None, 14, 14, 8)", "max_pooling_2 (MaxPooling2D) (None, 7, 7, 8)", "flatten (Flatten) (None, 392)",
                "dense_1 (Dense) (None, 16)"];
            for (var i = 0; i < expected.Length; i++)
            {
                var cells = await rows.Nth(i).Locator("td").AllInnerTextsAsync();
                Assert.StartsWith(expected[i].Split(" (None")[0], cells[0]);
                Assert.Equal("(None" + expected[i].Split(" (None")[1], cells[1]);
            }
            // The look inside shows multi-layer perceptrons' weights only, and says so (the 422 is the browser's log line).
            await Assertions.Expect(session.Page.Locator("body")).ToContainTextAsync("is a convolutional network");

            // Drawing asks for the explanation once: told the model cannot be looked inside, the page stops asking.
            var predictions = new List<string>();
            session.Page.Request += (_, r) => { if (new Uri(r.Url).AbsolutePath == "/predict") { lock (predictions) { predictions.Add(new Uri(r.Url).Query); } } };
            await session.DrawAsync([(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]);
            await session.WaitForVerdictAsync();
            await session.DrawAsync([(0.35, 0.5), (0.62, 0.5)]);
            int Asked() { lock (predictions) { return predictions.Count(q => q.StartsWith($"?model={name}", StringComparison.Ordinal)); } }
            for (var wait = 0; wait < 100 && Asked() < 3; wait++)
            {
                await Task.Delay(100); // the explained ask, the plain one after its 422, the second drawing's
            }
            await session.WaitForVerdictAsync();
            await Assertions.Expect(session.Page.Locator("#live")).ToContainTextAsync("is a convolutional network");
            lock (predictions)
            {
                Assert.True(Asked() >= 3, string.Join(", ", predictions));
                Assert.Equal(1, predictions.Count(q => q.Contains("explain=true", StringComparison.Ordinal)));
            }
            // The comparison names its convolution blocks.
            await Assertions.Expect(session.Page.Locator("#compare [data-role=compare-summary] tbody tr", new() { HasText = "Convolutions" }))
                .ToContainTextAsync("4 → 8 channels");
            session.AssertNoConsoleErrors(PageSession.HttpClientErrorLog());
        }
        finally
        {
            File.Delete(path);
            await WaitUntilListedAsync(name, listed: false);
        }
    }

    private async Task WaitUntilListedAsync(string name, bool listed)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var models = (await server.GetJsonAsync("models")).GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString());
            if (models.Contains(name) == listed)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The model {name} was {(listed ? "not listed" : "still listed")} after 10 s.");
    }

    [Fact]
    public async Task The_summary_shows_the_recipe_the_model_was_trained_with()
    {
        await using var session = await PageSession.OpenAsync(server);
        var settings = (await server.GetJsonAsync($"models/{PageServer.DefaultModel}")).GetProperty("report").GetProperty("hyperparameters");
        string Number(string name) => settings.GetProperty(name).GetDouble().ToString(CultureInfo.InvariantCulture);
        var scale = settings.GetProperty("scale").GetDouble();
        ILocator Fact(string name) => session.Page.Locator(".facts .fact", new() { Has = session.Page.Locator($"dt:text-is('{name}')") }).Locator("dd");

        // The default model is the distorted recipe's: affine distortions, one-cycle schedule, label smoothing.
        await Assertions.Expect(Fact("Recipe")).ToHaveTextAsync("distorted");
        await Assertions.Expect(Fact("Distortions")).ToHaveTextAsync(
            $"±{Number("rotation")}° rotation, scale {(1 - scale).ToString(CultureInfo.InvariantCulture)}–{(1 + scale).ToString(CultureInfo.InvariantCulture)}, " +
            $"±{Number("shear")}° shear, ±{Number("shift")} px shift");
        await Assertions.Expect(Fact("Learning-rate schedule")).ToHaveTextAsync(
            $"One-cycle, peak {Number("learningRate")}, warm-up {settings.GetProperty("warmup").GetDouble() * 100:0}% of the steps");
        await Assertions.Expect(Fact("Label smoothing")).ToHaveTextAsync(Number("labelSmoothing"));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_chosen_model_answers_the_predictions_and_fills_the_model_view()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        var options = await page.Locator("#model-select option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)");
        Assert.Equal(new[] { PageServer.DefaultModel, PageServer.SecondModel }, options.Order());
        await Assertions.Expect(page.Locator("#model-select")).ToHaveValueAsync(PageServer.DefaultModel);

        await session.DrawAsync(Digits.Strokes(7));
        Assert.StartsWith(PageServer.DefaultModel + " ·", (await session.WaitForVerdictAsync()).Meta);

        // Choosing the other model asks it again, with ?model=, and shows its report.
        var request = page.WaitForRequestAsync(r => r.Url.Contains("/predict?model=" + PageServer.SecondModel));
        await page.SelectOptionAsync("#model-select", PageServer.SecondModel);
        await request;
        var verdict = await session.WaitForVerdictAsync();
        Assert.StartsWith(PageServer.SecondModel + " ·", verdict.Meta);
        Assert.Equal("7", verdict.Digit);
        await Assertions.Expect(page.Locator("#model-name")).ToHaveTextAsync(PageServer.SecondModel);
        await Assertions.Expect(page.Locator("#model")).ToHaveAttributeAsync("aria-busy", "false");
        Assert.Contains("model=" + PageServer.SecondModel, page.Url);

        // The choice survives a reload.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#model[aria-busy=false] .heatmap");
        await Assertions.Expect(page.Locator("#model-select")).ToHaveValueAsync(PageServer.SecondModel);
        session.AssertNoConsoleErrors();
    }
}
