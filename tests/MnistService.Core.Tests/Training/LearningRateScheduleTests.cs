using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

public class LearningRateScheduleTests
{
    private static double[] Rates(LearningRateScheduleKind kind, double warmup, int steps = 1_000) =>
        [.. Enumerable.Range(0, steps).Select(step => new LearningRateSchedule(kind, 0.003, warmup, steps).At(step))];

    [Fact]
    public void One_cycle_rises_from_a_25th_of_the_peak_to_the_peak_then_falls_to_a_10000th_of_its_start()
    {
        var rates = Rates(LearningRateScheduleKind.OneCycle, 0.3);
        Assert.Equal(0.003 / 25, rates[0], 12);
        Assert.Equal(0.003, rates.Max(), 12);
        Assert.Equal(300, Array.IndexOf(rates, rates.Max()));
        Assert.Equal(0.003 / 25 / 1e4, rates[^1], 12);
        Assert.True(rates.Take(301).Zip(rates.Skip(1).Take(300)).All(pair => pair.Second >= pair.First), "rising during the warm-up");
        Assert.True(rates.Skip(300).Zip(rates.Skip(301)).All(pair => pair.Second <= pair.First), "falling after it");
    }

    [Fact]
    public void Cosine_warms_up_linearly_then_falls_to_zero_and_constant_stays_at_the_peak()
    {
        var cosine = Rates(LearningRateScheduleKind.Cosine, 0.1);
        Assert.Equal(0.003 / 100, cosine[0], 12);
        Assert.Equal(0.003 / 2, cosine[49], 12);
        Assert.Equal(0.003, cosine[100], 12);
        Assert.Equal(0.003 / 2, cosine[100 + 450], 5);
        Assert.Equal(0, cosine[^1], 12);

        Assert.All(Rates(LearningRateScheduleKind.Constant, 0), rate => Assert.Equal(0.003, rate));
        Assert.Equal(0.003 / 100, Rates(LearningRateScheduleKind.Constant, 0.1)[0], 12);
    }
}
