using System.Globalization;

namespace HybridSpike.Training.Config;

/// <summary>
/// The range of one numeric field of a training config, by its path. A value outside it is refused with
/// the field's path and the range ("model.lmu.order must be from 1 to 4,096, got 1,000,000").
/// </summary>
/// <param name="ZeroMeans">What 0 means for a field that accepts it ("all"), or null if 0 is outside the range.</param>
public sealed record FieldRange(string Field, double Minimum, double Maximum, string? ZeroMeans)
{
    public bool Contains(double value) => (value == 0 && ZeroMeans is not null) || (value >= Minimum && value <= Maximum);

    /// <summary>The range as the error messages say it.</summary>
    public override string ToString() =>
        ZeroMeans is null ? $"from {Show(Minimum)} to {Show(Maximum)}" : $"0 ({ZeroMeans}) or from {Show(Minimum)} to {Show(Maximum)}";

    /// <summary>The error for <paramref name="got"/> (the value as the file gives it, or as parsed).</summary>
    public string Refusal(string got) => $"{Field} must be {this}, got {got}";

    /// <summary>Whole numbers with thousands separators, as the command line's ranges are said; others as they are.</summary>
    internal static string Show(double value) =>
        double.IsFinite(value) && value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The ranges of a training config's sizes and counts. The maxima are far above any model or run this
/// toolkit trains on two cores, and low enough that no size computed from one of them overflows; what
/// depends on the data or on several sizes together (classes, split counts, the memory a batch needs) is
/// checked once the data is loaded (<see cref="TrainingConfig.ValidateAgainst(HybridSpike.Core.Data.SequenceData)"/>).
/// </summary>
public static class ConfigLimits
{
    public static readonly FieldRange Classes = new("model.classes", 2, 65_536, null);
    /// <summary>
    /// The zero-order hold is a d×d matrix exponential in managed code, O(d³): 12 s at 512 on two cores,
    /// about 100 s at 1,024, hours at 4,096 (before the first batch, and deaf to Ctrl-C meanwhile).
    /// </summary>
    public static readonly FieldRange Order = new("model.lmu.order", 1, 1_024, null);
    /// <summary>θ in steps: a window shorter than one step holds nothing; psMNIST sequences have 784.</summary>
    public static readonly FieldRange Theta = new("model.lmu.theta", 1, 1_000_000, null);
    /// <summary>W_h is n×n: at 16,384 units, 1 GiB of float32, 4 GiB with its gradient and Adam's moments.</summary>
    public static readonly FieldRange LmuHidden = new("model.lmu.hidden", 1, 16_384, null);
    public static readonly FieldRange RnnHidden = new("model.rnn.hidden", 1, 16_384, null);
    public static readonly FieldRange ScheduleSteps = new("schedule.steps", 1, 10_000, null);
    /// <summary>
    /// Wider than the command line's <c>--epochs</c> (10,000): a run meant to be stopped by Ctrl-C (the SIGTERM
    /// test's) asks for more. Nothing is allocated per epoch before it runs.
    /// </summary>
    public static readonly FieldRange Epochs = new("training.epochs", 1, 1_000_000, null);
    public static readonly FieldRange BatchSize = new("training.batchSize", 1, 65_536, null);
    public static readonly FieldRange MaxBatchesPerEpoch = new("training.maxBatchesPerEpoch", 1, 1_000_000, "all");
    public static readonly FieldRange Threads = new("training.threads", 1, 1_024, "all cores");
    /// <summary>As the command line's <c>--train-limit</c>: the largest training split here has 60,000.</summary>
    public static readonly FieldRange TrainLimit = new("data.trainLimit", 1, 1_000_000, "all");
    /// <summary>As the command line's test-sequence counts: the largest test split here has 10,000.</summary>
    public static readonly FieldRange TestLimit = new("data.testLimit", 1, 100_000, "all");

    public static IReadOnlyList<FieldRange> All { get; } =
        [Classes, Order, Theta, LmuHidden, RnnHidden, ScheduleSteps, Epochs, BatchSize, MaxBatchesPerEpoch, Threads, TrainLimit, TestLimit];

    /// <summary>The range of the field at <paramref name="path"/>, if it has one.</summary>
    internal static FieldRange? Of(string path) => All.FirstOrDefault(r => r.Field == path);
}
