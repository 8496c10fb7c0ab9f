using MnistService.Core.Imaging;

namespace MnistService.Core.Tests.Imaging;

/// <summary>The decoded-pixel budget admits what fits, makes the rest wait, and turns away what waits too long.</summary>
public sealed class DecodeBudgetTests
{
    [Fact]
    public async Task Admits_what_fits_and_makes_the_rest_wait_until_there_is_room()
    {
        var budget = new DecodeBudget(1000);
        var first = await budget.ReserveAsync(600, TimeSpan.Zero, CancellationToken.None);
        var second = await budget.ReserveAsync(400, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(1000, budget.InFlightPixels);

        var waiting = budget.ReserveAsync(500, TimeSpan.FromSeconds(10), CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        first!.Dispose();
        first.Dispose(); // twice is once
        var third = await waiting;
        Assert.NotNull(third);
        Assert.Equal(900, budget.InFlightPixels);
        second!.Dispose();
        third!.Dispose();
        Assert.Equal(0, budget.InFlightPixels);
    }

    [Fact]
    public async Task Gives_up_after_the_wait_and_holds_nothing_for_a_caller_that_left()
    {
        var budget = new DecodeBudget(1000);
        using var held = await budget.ReserveAsync(900, TimeSpan.Zero, CancellationToken.None);
        Assert.Null(await budget.ReserveAsync(200, TimeSpan.FromMilliseconds(100), CancellationToken.None));
        using var cancel = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.ReserveAsync(200, TimeSpan.FromSeconds(10), cancel.Token));
        Assert.Equal(900, budget.InFlightPixels);
        // A small one that fits is not held up by a large one waiting.
        var large = budget.ReserveAsync(500, TimeSpan.FromSeconds(10), CancellationToken.None);
        using var small = await budget.ReserveAsync(100, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(small);
        Assert.False(large.IsCompleted);
    }

    [Fact]
    public async Task An_image_larger_than_the_whole_budget_is_decoded_alone()
    {
        var budget = new DecodeBudget(1000);
        using (var alone = await budget.ReserveAsync(5000, TimeSpan.Zero, CancellationToken.None))
        {
            Assert.NotNull(alone);
            Assert.Null(await budget.ReserveAsync(1, TimeSpan.FromMilliseconds(50), CancellationToken.None));
        }
        Assert.Equal(0, budget.InFlightPixels);
    }
}
