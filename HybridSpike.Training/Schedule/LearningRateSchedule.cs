namespace HybridSpike.Training.Schedule;

/// <summary>
/// The learning rate over training, set every batch from the progress p ∈ [0, 1] (batches done / all batches), like ω,
/// so that a resumed run continues it exactly (no scheduler state to save):
/// <code>
///   constant: lr
///   cosine:   lr_min + (lr − lr_min) · ½ (1 + cos(π p))      (Loshchilov and Hutter's annealing, without restarts)
/// </code>
/// with lr_min = <c>minLearningRate</c>.
/// </summary>
public sealed record LearningRateSchedule(string Kind, double LearningRate, double MinLearningRate)
{
    /// <summary>The schedules a config may name.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["constant", "cosine"];

    public static LearningRateSchedule From(Config.OptimizationConfig c) => new(c.LearningRateSchedule, c.LearningRate, c.MinLearningRate);

    /// <summary>The learning rate at progress <paramref name="progress"/> (clamped to [0, 1]).</summary>
    public double At(double progress)
    {
        double p = Math.Clamp(progress, 0, 1);
        return Kind switch
        {
            "constant" => LearningRate,
            "cosine" => MinLearningRate + (LearningRate - MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * p)),
            _ => throw new ArgumentException($"training.learningRateSchedule: unknown '{Kind}' (valid: {string.Join(", ", Kinds)})"),
        };
    }
}
