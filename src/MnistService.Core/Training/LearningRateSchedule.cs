using System.Text.Json.Serialization;
using MnistService.Core.Network;

namespace MnistService.Core.Training;

/// <summary>How the learning rate moves over a run, step by step (see <see cref="LearningRateSchedule"/>).</summary>
[JsonConverter(typeof(ChoiceJsonConverter<LearningRateScheduleKind>))]
public enum LearningRateScheduleKind
{
    [JsonStringEnumMemberName("constant")] Constant,
    [JsonStringEnumMemberName("cosine")] Cosine,
    [JsonStringEnumMemberName("onecycle")] OneCycle,
}

/// <summary>
/// The learning rate of every optimizer step, for a run of <c>totalSteps</c> steps peaking at <c>peak</c>
/// (the <see cref="TrainingSettings.LearningRate"/>), with a warm-up over the first <c>warmup</c> fraction:
/// <list type="bullet">
/// <item>constant: peak throughout (the warm-up, if any, rises linearly from 0);</item>
/// <item>cosine: a linear warm-up from 0, then peak·½(1 + cos πτ) down to 0, τ the fraction of the rest done;</item>
/// <item>onecycle (Smith and Topin, as PyTorch's OneCycleLR with cosine annealing): from peak/25 up to peak
/// along a half cosine during the warm-up, then down along one to peak/25/10⁴.</item>
/// </list>
/// </summary>
public sealed class LearningRateSchedule
{
    /// <summary>OneCycleLR's div_factor: where the cycle starts, relative to the peak.</summary>
    public const double OneCycleStartDivisor = 25;
    /// <summary>OneCycleLR's final_div_factor: where it ends, relative to its start.</summary>
    public const double OneCycleFinalDivisor = 1e4;

    private readonly LearningRateScheduleKind _kind;
    private readonly double _peak;
    private readonly long _warmupSteps, _totalSteps;

    public LearningRateSchedule(LearningRateScheduleKind kind, double peak, double warmup, long totalSteps)
    {
        if (totalSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "A schedule needs at least one step.");
        }
        _kind = kind;
        _peak = peak;
        _totalSteps = totalSteps;
        _warmupSteps = (long)Math.Round(warmup * totalSteps);
    }

    /// <summary>The rate of the step numbered <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        step = Math.Clamp(step, 0, _totalSteps - 1);
        if (_kind == LearningRateScheduleKind.OneCycle)
        {
            var start = _peak / OneCycleStartDivisor;
            return step < _warmupSteps
                ? CosineBetween(start, _peak, (double)step / _warmupSteps)
                : CosineBetween(_peak, start / OneCycleFinalDivisor, Fraction(step - _warmupSteps, _totalSteps - _warmupSteps));
        }

        if (step < _warmupSteps)
        {
            return _peak * (step + 1) / _warmupSteps;
        }

        return _kind == LearningRateScheduleKind.Cosine
            ? CosineBetween(_peak, 0, Fraction(step - _warmupSteps, _totalSteps - _warmupSteps))
            : _peak;
    }

    /// <summary>Progress through a phase of <paramref name="steps"/> steps: 0 at its first, 1 at its last.</summary>
    private static double Fraction(long step, long steps) => steps <= 1 ? 1 : (double)step / (steps - 1);

    /// <summary>from at τ = 0 to to at τ = 1 along a half cosine.</summary>
    private static double CosineBetween(double from, double to, double tau) => to + (from - to) * (1 + Math.Cos(Math.PI * tau)) / 2;
}
