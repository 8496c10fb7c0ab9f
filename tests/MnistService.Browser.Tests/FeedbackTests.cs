using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>"Right?" after a reading: a correction is stored, and the field matrix beside the MNIST one shows it.</summary>
[Collection(PageCollection.Name)]
public sealed class FeedbackTests(PageServer server)
{
    [Fact]
    public async Task Draw_correct_and_see_the_field_matrix_change()
    {
        await using var session = await PageSession.OpenAsync(server);
        var page = session.Page;
        var field = page.Locator("#field");
        await Assertions.Expect(field.Locator(".heatmap, [data-role=field-empty]")).ToBeVisibleAsync();
        var before = await FieldCount(page, 7, 1);
        var totalBefore = await field.Locator(".heatmap").CountAsync() == 0 ? 0 : int.Parse((await field.Locator(".heatmap").GetAttributeAsync("data-total"))!);

        await session.DrawAsync(Digits.Strokes(1));
        Assert.Equal("1", (await session.WaitForVerdictAsync()).Digit);
        var prompt = page.Locator("#feedback");
        await Assertions.Expect(prompt).ToBeVisibleAsync();
        await Assertions.Expect(prompt.Locator(".feedback-question")).ToHaveTextAsync("Right?");
        await Assertions.Expect(prompt.Locator("[data-role=confirm]")).ToHaveTextAsync("Yes, a 1");
        await Assertions.Expect(prompt.Locator(".feedback-digit[data-digit='1']")).ToBeHiddenAsync(); // the digit read is the "Yes"

        // Someone meant a 7: one tap on it.
        var answer = page.WaitForResponseAsync(r => new Uri(r.Url).AbsolutePath == "/feedback" && r.Request.Method == "POST");
        await prompt.Locator(".feedback-digit[data-digit='7']").ClickAsync();
        Assert.Equal(201, (await answer).Status);
        await Assertions.Expect(prompt).ToHaveAttributeAsync("data-state", "corrected");
        await Assertions.Expect(prompt.Locator(".feedback-status")).ToContainTextAsync("stored as a 7 (the model read a 1)");

        // The field matrix: the 7 read as a 1 is counted.
        await Assertions.Expect(field.Locator(".cell[data-actual='7'][data-predicted='1']")).ToHaveAttributeAsync("data-count", (before + 1).ToString());
        Assert.Equal(totalBefore + 1, int.Parse((await field.Locator(".heatmap").GetAttributeAsync("data-total"))!));
        await Assertions.Expect(field).ToContainTextAsync(totalBefore == 0 ? "1 answer ·" : $"{totalBefore + 1} answers ·");
        var stored = await server.GetJsonAsync("metrics/feedback?model=" + PageServer.DefaultModel);
        Assert.Equal(totalBefore + 1, stored.GetProperty("total").GetInt32());
        Assert.True(File.Exists(server.FeedbackDatabase), $"{server.FeedbackDatabase} is not there");
        await session.ScreenshotAsync("feedback-corrected.png");

        // Undo takes it back, and the question is asked again.
        await prompt.Locator("[data-role=undo-feedback]").ClickAsync();
        await Assertions.Expect(prompt).ToHaveAttributeAsync("data-state", "asking");
        await Assertions.Expect(field.Locator(".cell[data-actual='7'][data-predicted='1'], [data-role=field-empty]").First).ToBeVisibleAsync();
        Assert.Equal(totalBefore, (await server.GetJsonAsync("metrics/feedback?model=" + PageServer.DefaultModel)).GetProperty("total").GetInt32());

        // A confirmation is one tap too.
        await prompt.Locator("[data-role=confirm]").ClickAsync();
        await Assertions.Expect(prompt).ToHaveAttributeAsync("data-state", "confirmed");
        await Assertions.Expect(prompt.Locator(".feedback-status")).ToContainTextAsync("confirmed as a 1");
        await Assertions.Expect(field.Locator(".cell[data-actual='1'][data-predicted='1']")).ToBeVisibleAsync();

        // A new drawing asks again.
        await page.ClickAsync("#clear");
        await Assertions.Expect(prompt).ToBeHiddenAsync();
        session.AssertNoConsoleErrors();
    }

    private static async Task<int> FieldCount(IPage page, int actual, int predicted)
    {
        var cell = page.Locator($"#field .cell[data-actual='{actual}'][data-predicted='{predicted}']");
        return await cell.CountAsync() == 0 ? 0 : int.Parse((await cell.GetAttributeAsync("data-count"))!);
    }
}
