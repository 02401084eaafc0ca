using System.Text.Json;
using HybridSpike.Core;
using HybridSpike.Core.Data;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Training.Config;

/// <summary>A quantizer on one population: off (non-spiking, a = f(x)) or on with ω moved from
/// <see cref="OmegaStart"/> to <see cref="OmegaEnd"/> by the run's schedule.</summary>
public sealed record QuantizerConfig
{
    public bool Enabled { get; init; }
    /// <summary>ω at the start of training: large enough to be non-spiking in practice.</summary>
    public double OmegaStart { get; init; } = 1000;
    /// <summary>The target ω (spiking regime).</summary>
    public double OmegaEnd { get; init; } = 1;
    /// <summary>"uniform" (v₀ in [0,1) from <see cref="Seed"/>) or "zeros".</summary>
    public string InitialState { get; init; } = "uniform";
    public ulong Seed { get; init; } = 1;

    public static QuantizerConfig Off => new();
    public static QuantizerConfig On(double omegaEnd, ulong seed) => new() { Enabled = true, OmegaEnd = omegaEnd, Seed = seed };
}

/// <summary>Which optional LMU weights exist (each is trainable when present).</summary>
public sealed record LmuWeightsConfig
{
    /// <summary>e_x: input → memory encoder.</summary>
    public bool InputEncoder { get; init; } = true;
    /// <summary>e_h: hidden → memory encoder (recurrent).</summary>
    public bool HiddenEncoder { get; init; }
    /// <summary>e_m: memory → memory encoder (recurrent).</summary>
    public bool MemoryEncoder { get; init; }
    /// <summary>W_x: input → hidden kernel.</summary>
    public bool InputKernel { get; init; } = true;
    /// <summary>W_h: hidden → hidden kernel (recurrent).</summary>
    public bool HiddenKernel { get; init; } = true;
    /// <summary>W_m: memory → hidden kernel.</summary>
    public bool MemoryKernel { get; init; } = true;
}

/// <summary>The Legendre Memory Unit cell and its readout (method.md section 3).</summary>
public sealed record LmuConfig
{
    /// <summary>Memory order d.</summary>
    public int Order { get; init; } = 256;
    /// <summary>Window θ in steps.</summary>
    public double Theta { get; init; } = 784;
    /// <summary>Hidden units n.</summary>
    public int Hidden { get; init; } = 212;
    public string Activation { get; init; } = "tanh";
    /// <summary>"zoh" (zero-order hold) or "euler".</summary>
    public string Discretization { get; init; } = "zoh";
    public LmuWeightsConfig Weights { get; init; } = new();
    public QuantizerConfig HiddenQuantizer { get; init; } = QuantizerConfig.Off;
    public QuantizerConfig MemoryQuantizer { get; init; } = QuantizerConfig.Off;
    /// <summary>"auto" (the cheapest form the configuration allows), "sequential", "memory-first" or "parallel".</summary>
    public string Form { get; init; } = "auto";
}

/// <summary>An LSTM or GRU baseline: one recurrent layer and a Dense readout on the last step.</summary>
public sealed record RnnConfig
{
    public int Hidden { get; init; } = 157;
}

public sealed record ModelConfig
{
    /// <summary>"lmu", "lstm" or "gru".</summary>
    public string Kind { get; init; } = "lmu";
    public LmuConfig Lmu { get; init; } = new();
    public RnnConfig Rnn { get; init; } = new();
    public int Classes { get; init; } = 10;
}

/// <summary>How ω moves from start to end over training (every batch).</summary>
public sealed record ScheduleConfig
{
    /// <summary>"geometric" (log-linear, default), "linear" or "step".</summary>
    public string Kind { get; init; } = "geometric";
    /// <summary>Fraction of all training batches spent at ω_start before moving (hold at the start).</summary>
    public double Start { get; init; } = 0.1;
    /// <summary>Fraction of all training batches by which ω reaches ω_end (the rest holds at the end).</summary>
    public double End { get; init; } = 0.7;
    /// <summary>For "step": the number of equal steps (geometrically spaced values).</summary>
    public int Steps { get; init; } = 4;
}

public sealed record OptimizationConfig
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 100;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>How the learning rate moves over the run: "constant" (the default) or "cosine" (from <see cref="LearningRate"/>
    /// down to <see cref="MinLearningRate"/> at the end; <see cref="HybridSpike.Training.Schedule.LearningRateSchedule"/>).</summary>
    public string LearningRateSchedule { get; init; } = "constant";
    /// <summary>Where a "cosine" schedule ends.</summary>
    public double MinLearningRate { get; init; }
    /// <summary>Clip the gradients' global L2 norm to this before each step (null: no clipping), as recurrent baselines are trained.</summary>
    public double? GradientClip { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Stop after this many training batches per epoch (0 = all): for quick runs.</summary>
    public int MaxBatchesPerEpoch { get; init; }
    /// <summary>Torch threads (0 = all cores).</summary>
    public int Threads { get; init; }
}

/// <summary>
/// A training run, read from JSON. The defaults reproduce the psMNIST LMU of the LMU paper:
/// d = 256, θ = 784, n = 212, tanh, e_x on, e_h = e_m off, W_x and W_h present and zero at start,
/// W_m Glorot-normal, Dense(10) on the last step, Adam 1e-3, batch 100, 10 epochs.
/// </summary>
public sealed record TrainingConfig
{
    public string Name { get; init; } = "lmu";
    public ModelConfig Model { get; init; } = new();
    public ScheduleConfig Schedule { get; init; } = new();
    public OptimizationConfig Training { get; init; } = new();
    public DataConfig Data { get; init; } = new();

    /// <summary>The longest <see cref="Name"/>.</summary>
    public const int MaxNameLength = 100;

    /// <summary>The JSON options of configs (HybridSpike.Core's <see cref="ConfigJson"/>).</summary>
    public static JsonSerializerOptions Json => ConfigJson.Options;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses (<see cref="TrainingConfigJson"/>) and validates; errors name the field (e.g. "model.lmu.theta").</summary>
    public static TrainingConfig Parse(string json, string source)
    {
        var config = TrainingConfigJson.Deserialize(json, source);
        var errors = config.Validate();
        if (errors.Count > 0) throw new ConfigException($"{source}: " + string.Join("; ", errors));
        return config;
    }

    public static TrainingConfig Load(string path) => Parse(TrainingConfigJson.ReadFile(path), path);

    /// <summary>
    /// Every way this config does not fit the loaded <paramref name="data"/>, each naming its field: known only
    /// once the data is loaded, and checked before training (a readout with fewer classes than the labels would
    /// fail inside libtorch; a limit larger than its split would be cut to it without a word).
    /// </summary>
    public IReadOnlyList<string> ValidateAgainst(SequenceData data) => ValidateAgainst(data, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary><see cref="ValidateAgainst(SequenceData)"/> on a machine of <paramref name="memory"/> bytes.</summary>
    internal IReadOnlyList<string> ValidateAgainst(SequenceData data, long memory)
    {
        ArgumentNullException.ThrowIfNull(data);
        var e = new List<string>();
        var (name, splits, classes) = (data.Dataset.Name, data.Dataset.Splits, data.Train.Source.Classes);
        if (Model.Classes != classes) e.Add($"model.classes is {Model.Classes:N0} but the dataset {name} has {classes:N0} classes");
        if (Data.TrainLimit > splits.Train.Count)
            e.Add($"data.trainLimit is {Data.TrainLimit:N0} but the training split of {name} has {splits.Train.Count:N0} sequences");
        if (Data.TestLimit > splits.Test.Count)
            e.Add($"data.testLimit is {Data.TestLimit:N0} but the test split of {name} has {splits.Test.Count:N0} sequences");
        // Each size is within its range, but their product may not fit: refused here rather than by libtorch's
        // allocator or the kernel's OOM killer after minutes. A lower bound, so nothing that would fit is refused.
        if (MemoryLowerBound(data.Steps, Math.Min(Training.BatchSize, data.Train.Count)) is var needed && memory > 0 && needed > memory)
            e.Add($"training.batchSize {Training.BatchSize:N0} with this model needs at least {needed / 1e9:N1} GB to train " +
                  $"(each step's hidden state and memory of a batch, and the weights with their gradients and Adam's moments), more than the {memory / 1e9:N1} GB here; " +
                  "lower training.batchSize or the model's size");
        return e;
    }

    /// <summary>
    /// Bytes a training run needs at the least: backpropagation through time keeps every step's hidden state
    /// (and memory) of the batch in float32, and each weight has a gradient and Adam's two moments beside it.
    /// </summary>
    internal double MemoryLowerBound(int steps, int batch)
    {
        bool lmu = Model.Kind == "lmu";
        double n = lmu ? Model.Lmu.Hidden : Model.Rnn.Hidden, d = lmu ? Model.Lmu.Order : 0;
        var w = Model.Lmu.Weights;
        double weights = lmu
            ? (w.HiddenKernel ? n * n : 0) + (w.MemoryKernel ? n * d : 0) + n * Model.Classes
            : (Model.Kind == "lstm" ? 4 : 3) * n * n + n * Model.Classes;
        return 4.0 * batch * steps * (n + d) + 16.0 * weights;
    }

    /// <summary>Every problem, each naming its field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        void Check(bool ok, string field, string problem) { if (!ok) e.Add($"{field}: {problem}"); }
        void InRange(FieldRange range, double value) { if (!range.Contains(value)) e.Add(range.Refusal(FieldRange.Show(value))); }

        // The name is the folder of an experiment's run and goes into reports and artifacts: one plain file name.
        if (Name.Length is 0 or > MaxNameLength) e.Add($"name must be 1 to {MaxNameLength} characters, got {Name.Length:N0}");
        else if (Name.Trim() != Name || Name is "." or ".." || Name.Any(c => c is '/' or '\\' || char.IsControl(c)))
            e.Add($"name must be a plain file name (no '/', '\\', control characters or surrounding spaces; not '.' or '..'), got {Quote(Name)}");
        Check(Model.Kind is "lmu" or "lstm" or "gru", "model.kind", $"unknown model {Quote(Model.Kind)} (valid: lmu, lstm, gru)");
        InRange(ConfigLimits.Classes, Model.Classes);
        if (Model.Kind == "lmu")
        {
            var l = Model.Lmu;
            InRange(ConfigLimits.Order, l.Order);
            InRange(ConfigLimits.Theta, l.Theta);
            InRange(ConfigLimits.LmuHidden, l.Hidden);
            try { Activations.Parse(l.Activation); }
            catch (ArgumentException) { e.Add($"model.lmu.activation: unknown activation {Quote(l.Activation)} (valid: {string.Join(", ", Enum.GetNames<Activation>().Select(n => n.ToLowerInvariant()))})"); }
            Check(l.Discretization is "zoh" or "euler", "model.lmu.discretization", $"unknown {Quote(l.Discretization)} (valid: zoh, euler)");
            Check(l.Form is "auto" or "sequential" or "memory-first" or "parallel", "model.lmu.form", $"unknown {Quote(l.Form)} (valid: auto, sequential, memory-first, parallel)");
            Check(l.Weights.MemoryKernel || l.Weights.InputKernel || l.Weights.HiddenKernel, "model.lmu.weights", "the hidden layer needs at least one kernel");
            Check(l.Weights.InputEncoder || l.Weights.HiddenEncoder || l.Weights.MemoryEncoder, "model.lmu.weights", "the memory needs at least one encoder");
            CheckQuantizer(l.HiddenQuantizer, "model.lmu.hiddenQuantizer", Check);
            CheckQuantizer(l.MemoryQuantizer, "model.lmu.memoryQuantizer", Check);
            if (l.Form == "parallel")
                Check(!l.MemoryQuantizer.Enabled && !l.Weights.HiddenEncoder && !l.Weights.MemoryEncoder && !l.Weights.HiddenKernel,
                    "model.lmu.form", "'parallel' needs a linear memory (memoryQuantizer off) and no recurrent weights (hiddenEncoder, memoryEncoder, hiddenKernel off)");
            if (l.Form == "memory-first")
                Check(!l.Weights.HiddenEncoder && !l.Weights.MemoryEncoder && l.Weights.InputEncoder,
                    "model.lmu.form", "'memory-first' needs the input encoder and no hidden or memory encoder");
        }
        else
        {
            InRange(ConfigLimits.RnnHidden, Model.Rnn.Hidden);
        }
        Check(Schedule.Kind is "geometric" or "linear" or "step", "schedule.kind", $"unknown {Quote(Schedule.Kind)} (valid: geometric, linear, step)");
        Check(Schedule.Start is >= 0 and <= 1, "schedule.start", $"must be in [0, 1], got {Schedule.Start}");
        Check(Schedule.End is >= 0 and <= 1 && Schedule.End >= Schedule.Start, "schedule.end", $"must be in [schedule.start, 1], got {Schedule.End}");
        InRange(ConfigLimits.ScheduleSteps, Schedule.Steps);
        InRange(ConfigLimits.Epochs, Training.Epochs);
        InRange(ConfigLimits.BatchSize, Training.BatchSize);
        Check(Training.LearningRate > 0 && double.IsFinite(Training.LearningRate), "training.learningRate", $"must be positive, got {Training.LearningRate}");
        Check(HybridSpike.Training.Schedule.LearningRateSchedule.Kinds.Contains(Training.LearningRateSchedule), "training.learningRateSchedule",
            $"unknown {Quote(Training.LearningRateSchedule)} (valid: {string.Join(", ", HybridSpike.Training.Schedule.LearningRateSchedule.Kinds)})");
        Check(Training.MinLearningRate >= 0 && Training.MinLearningRate <= Training.LearningRate, "training.minLearningRate",
            $"must be in [0, training.learningRate], got {Training.MinLearningRate}");
        Check(Training.GradientClip is null || (Training.GradientClip > 0 && double.IsFinite(Training.GradientClip.Value)), "training.gradientClip",
            $"must be positive (or left out for no clipping), got {Training.GradientClip}");
        InRange(ConfigLimits.MaxBatchesPerEpoch, Training.MaxBatchesPerEpoch);
        InRange(ConfigLimits.Threads, Training.Threads);
        Check(Datasets.Names.Contains(Data.Dataset), "data.dataset", $"unknown dataset {Quote(Data.Dataset)} (valid: {string.Join(", ", Datasets.Names)})");
        InRange(ConfigLimits.TrainLimit, Data.TrainLimit);
        InRange(ConfigLimits.TestLimit, Data.TestLimit);
        return e;
    }

    /// <summary>A value of the config as an error quotes it: on one line (control characters escaped) and at most 60 characters.</summary>
    internal static string Quote(string value) =>
        "'" + TrainingConfigJson.OneLine(value.Length > 60 ? value[..60] + "…" : value) + "'";

    private static void CheckQuantizer(QuantizerConfig q, string field, Action<bool, string, string> check)
    {
        check(q.OmegaStart > 0 && double.IsFinite(q.OmegaStart), $"{field}.omegaStart", $"ω must be positive, got {q.OmegaStart}");
        check(q.OmegaEnd > 0 && double.IsFinite(q.OmegaEnd), $"{field}.omegaEnd", $"ω must be positive, got {q.OmegaEnd}");
        // The exported network refuses a larger ω (a step's count must fit an int32): say so before training, not after.
        check(!(q.OmegaStart > Core.Network.NetworkDescription.MaxOmega), $"{field}.omegaStart", $"ω must be at most {Core.Network.NetworkDescription.MaxOmega:N0}, got {q.OmegaStart:G}");
        check(!(q.OmegaEnd > Core.Network.NetworkDescription.MaxOmega), $"{field}.omegaEnd", $"ω must be at most {Core.Network.NetworkDescription.MaxOmega:N0}, got {q.OmegaEnd:G}");
        check(q.InitialState is "uniform" or "zeros", $"{field}.initialState", $"unknown {Quote(q.InitialState)} (valid: uniform, zeros)");
    }
}

/// <summary>An invalid training config; the message names the file and the field.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message) : base(message) { }
    public ConfigException(string message, Exception inner) : base(message, inner) { }
}
