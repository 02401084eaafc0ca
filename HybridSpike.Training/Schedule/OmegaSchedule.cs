using HybridSpike.Training.Config;

namespace HybridSpike.Training.Schedule;

/// <summary>
/// Moves ω from the non-spiking into the spiking regime over training, updated every batch
/// (method.md section 2). With training progress p ∈ [0, 1] (batches done / all batches) and
/// r = clamp((p − start) / (end − start), 0, 1):
/// <code>
///   geometric: ω = ω_start · (ω_end / ω_start)^r
///   linear:    ω = ω_start + (ω_end − ω_start) · r
///   step:      geometric at r rounded down to a multiple of 1/steps
/// </code>
/// Before <c>start</c> ω holds at ω_start, after <c>end</c> at ω_end.
/// </summary>
public sealed record OmegaSchedule(string Kind, double Start, double End, int Steps)
{
    public static OmegaSchedule From(ScheduleConfig c) => new(c.Kind, c.Start, c.End, c.Steps);

    /// <summary>The fraction r of the way from ω_start to ω_end at progress p.</summary>
    public double Ramp(double progress)
    {
        if (progress <= Start) return progress < Start || End > Start ? 0 : 1;
        if (progress >= End) return 1;
        return (progress - Start) / (End - Start);
    }

    /// <summary>ω at progress <paramref name="progress"/> for a quantizer moving from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public double Omega(double start, double end, double progress)
    {
        double r = Ramp(progress);
        return Kind switch
        {
            "geometric" => r >= 1 ? end : start * Math.Pow(end / start, r),
            "linear" => r >= 1 ? end : start + (end - start) * r,
            "step" => r >= 1 ? end : start * Math.Pow(end / start, Math.Floor(r * Steps) / Steps),
            _ => throw new ArgumentException($"schedule.kind: unknown '{Kind}'"),
        };
    }

    /// <summary>Progress after <paramref name="batchesDone"/> of <paramref name="totalBatches"/>.</summary>
    public static double Progress(long batchesDone, long totalBatches) =>
        totalBatches <= 0 ? 1 : Math.Clamp((double)batchesDone / totalBatches, 0, 1);
}
