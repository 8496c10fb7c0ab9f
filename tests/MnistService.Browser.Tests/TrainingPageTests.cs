using System.Text.Json;
using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>"Train your own": a job started from the page, its curves drawn as epochs arrive, the model chosen when done; a job cancelled.</summary>
[Collection(PageCollection.Name)]
public sealed class TrainingPageTests(PageServer server)
{
    [Fact]
    public async Task A_model_trained_from_the_page_draws_a_point_per_epoch_then_is_chosen_in_the_picker_and_a_second_job_cancels()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        await page.WaitForSelectorAsync("#train[data-access=allowed] #train-start:not([disabled])");
        Assert.Equal("256, 128", await page.InputValueAsync("#train-hidden")); // the tutorial's network
        Assert.Equal("0.3", await page.InputValueAsync("#train-dropout"));

        await page.ClickAsync("[data-preset=plain]");
        Assert.Equal("0", await page.InputValueAsync("#train-dropout"));
        await page.FillAsync("#train-hidden", "32");
        await page.FillAsync("#train-epochs", "2");
        await page.SelectOptionAsync("#train-trainLimit", "2000");
        // Every change of the curves: how many epochs they show, and how many validation points are drawn.
        await page.EvaluateAsync("""
            () => {
              window.curveChanges = [];
              const curves = document.querySelector('#train-curves');
              new MutationObserver(() => window.curveChanges.push([+curves.dataset.epochs,
                curves.querySelectorAll('[data-series=val_accuracy] circle.chart-point').length]))
                .observe(curves, { attributes: true, attributeFilter: ['data-epochs'] });
            }
            """);
        await page.ClickAsync("#train-start");
        await page.WaitForSelectorAsync("#train[data-state=succeeded]", new() { Timeout = 60_000 });

        var changes = await page.EvaluateAsync<int[][]>("() => window.curveChanges");
        Assert.Contains(changes, c => c[0] == 1 && c[1] == 1);
        Assert.Contains(changes, c => c[0] == 2 && c[1] == 2);
        var job = (await server.GetJsonAsync("jobs")).GetProperty("jobs")[0];
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(0, job.GetProperty("settings").GetProperty("dropout").GetDouble());
        Assert.Equal(2000, job.GetProperty("trainLimit").GetInt32());
        var model = job.GetProperty("model").GetString()!;
        await page.WaitForFunctionAsync($"() => document.querySelector('#model-select').value === '{model}'", null, new() { Timeout = 20_000 });
        await page.WaitForSelectorAsync($"#model[aria-busy=false] #model-name:text-is('{model}')");
        Assert.Contains("It is now chosen in the model picker", await page.TextContentAsync("#train-status"));
        await session.ScreenshotAsync("training-done-desktop.png");

        // A second job, on every image, cancelled while it runs: no model.
        await page.SelectOptionAsync("#train-trainLimit", "0");
        await page.FillAsync("#train-epochs", "20");
        await page.ClickAsync("#train-start");
        await page.WaitForSelectorAsync("#train[data-state=running]", new() { Timeout = 30_000 });
        await page.ClickAsync("#train-cancel");
        await page.WaitForSelectorAsync("#train[data-state=cancelled]", new() { Timeout = 30_000 });
        Assert.Contains("Cancelled", await page.TextContentAsync("#train-status"));
        var cancelled = (await server.GetJsonAsync("jobs")).GetProperty("jobs").EnumerateArray().First(j => j.GetProperty("id").GetString() != model);
        Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
        var models = (await server.GetJsonAsync("models")).GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain(cancelled.GetProperty("model").GetString(), models);
        Assert.False(await page.IsDisabledAsync("#train-start"));
        session.AssertNoConsoleErrors();

        // The other page tests expect the two models they started with.
        using var deleted = await server.Http.DeleteAsync($"models/{model}");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task From_another_machine_without_a_key_the_section_says_why_and_how_to_enable_training()
    {
        // Behind a reverse proxy on this machine (loopback is a trusted proxy), the client is the one it names.
        await using var session = await PageSession.OpenAsync(server, width: 390, height: 844,
            headers: new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.9" });
        var page = session.Page;
        await page.WaitForSelectorAsync("#train[data-access=denied]");

        var why = await page.TextContentAsync("#train-access");
        Assert.Contains("Training:ApiKey", why);
        Assert.Contains("X-Api-Key", why);
        Assert.True(await page.IsDisabledAsync("#train-start"));
        Assert.True(await page.IsVisibleAsync("#train-key"));
        await page.Locator("#train").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts.Directory, "training-denied-phone.png") });
        session.AssertNoConsoleErrors();
    }
}
