using HybridSpike.Core.Data;
using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Artifact;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Reports;
using HybridSpike.Training;
using HybridSpike.Training.Config;

namespace HybridSpike.Host.Services;

/// <summary>
/// The end-to-end job of <c>hybridspike demo</c> on the embedded digits: trains the small hsLMU
/// (configs/hslmu-tiny.json, embedded), exports and compiles it to a hardware profile, runs test
/// digits through the local actor mesh next to the fixed-point and float64 golden models, and writes
/// the report and pictures into one folder.
/// </summary>
internal static class DemoService
{
    /// <summary>The embedded copy of configs/hslmu-tiny.json (the project file links it).</summary>
    internal const string ConfigResource = "HybridSpike.Host.Demo.hslmu-tiny.json";

    /// <summary>What the training step writes into the folder.</summary>
    internal static readonly ImmutableArray<string> TrainingFiles = [Checkpoint.FileName, "history.json", "metrics.json", TrainedModel.ArtifactFileName];

    /// <summary>The demo's own picture of training, next to the mesh evaluation's files.</summary>
    internal const string TrainingPicture = "training.png";

    /// <summary>Every file the demo writes; only these are ever replaced (with --force or --resume), never anything else in the folder.</summary>
    internal static ImmutableArray<string> Files => [.. TrainingFiles, .. MeshEvaluation.FileNames, TrainingPicture];

    /// <summary>The accuracies side by side: TorchSharp on the whole test split, then the three models on the mesh's digits.</summary>
    internal sealed record DemoAccuracy(
        double TorchSharpFloat32, int TorchSharpSamples,
        double Float64, double FixedPoint, double Mesh, int MeshSamples, int PredictionsDifferingFromFixedPoint, double Chance);

    internal sealed record DemoTraining(
        string Name, string Config, string Dataset, int Epochs, int TrainSequences, bool Resumed, long Parameters, double SamplesPerSecond,
        double? ActivityBits, double? SpikesPerUnitPerStep, IReadOnlyList<EpochRecord> History);

    internal sealed record DemoCompile(string Profile, string Exponent, int WeightBits, int Cores, int CoresAvailable, IReadOnlyList<PopulationSummary> Populations)
    {
        /// <summary>The placement strategy's name when it is not the default sequential one (--placement random:SEED); null otherwise.</summary>
        public string? Placement { get; init; }
    }

    internal sealed record DemoSeconds(double Training, double CompileAndMesh, double Total);

    /// <summary>The demo's summary: stdout with --json, and report.json.</summary>
    internal sealed record DemoReport(
        string Folder, string Artifact, DemoAccuracy Accuracy, DemoTraining Training, DemoCompile Compile, MeshRunReport Mesh,
        DemoSeconds Seconds, IReadOnlyList<string> Files);

    /// <summary>
    /// Trains (or resumes), compiles, runs the mesh and writes the folder; the summary goes to
    /// <paramref name="output"/>, progress to <paramref name="error"/>. Returns 130 when interrupted.
    /// </summary>
    public static async Task<int> RunAsync(DemoRequest s, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        // Everything that can be refused is checked before the folder is touched (the options by DemoCommand.Parse).
        var folder = Path.GetFullPath(s.Out);
        var replace = CheckFolder(folder, s.Force, s.Resume);
        // A resumed demo continues with the config it started with (--epochs and --train-limit may still change it).
        var (config, configSource) = s.Resume ? CheckpointConfig(folder) : LoadConfig(s.Config);
        if (s.Epochs is { } e) config = config with { Training = config.Training with { Epochs = e } };
        if (s.TrainLimit > 0) config = config with { Data = config.Data with { TrainLimit = s.TrainLimit } };
        var errors = config.Validate();
        if (errors.Count > 0) throw new ConfigException($"{configSource}: " + string.Join("; ", errors));
        if (config.Model.Kind != "lmu")
            throw new ArgumentException($"{configSource}: the demo needs an LMU (model.kind \"lmu\"); a {config.Model.Kind} has no artifact to compile");
        var profile = Profiles.Get(s.Target.Profile);
        var data = SequenceData.Load(config.Data);
        // Checked before --force deletes the earlier demo: a config the data refuses must leave it as it was.
        if (config.ValidateAgainst(data) is { Count: > 0 } mismatches) throw new ConfigException($"{configSource}: " + string.Join("; ", mismatches));
        Check.WithinSplit(s.Samples, data.Test.Count, "--samples", config.Data.Dataset);
        var meshData = SequenceData.Load(config.Data with { TestLimit = s.Samples });
        if (replace.Count > 0)
        {
            error.WriteLine($"--force: deleting the earlier demo's {string.Join(", ", replace)} in {folder}");
            foreach (var f in replace) File.Delete(Path.Combine(folder, f));
        }

        error.WriteLine($"demo: {(s.Resume ? "resuming" : "training")} {config.Name} on {config.Data.Dataset} ({data.Train.Count:N0} training sequences x {data.Steps} steps, {config.Training.Epochs} epoch{(config.Training.Epochs == 1 ? "" : "s")}) in {folder}");
        TrainingResult run;
        TrainService.TrainSummary trained;
        using (var interrupt = new CtrlC(cancel))
        {
            (run, trained) = await TrainService.TrainAsync(config, data, folder, s.Resume, error, interrupt.Token);
            if (run.Interrupted)
            {
                error.WriteLine($"{interrupt.Signal}: the checkpoint is kept in {folder}; continue by running the same command with --resume");
                return interrupt.ExitCode;
            }
        }
        double trainingSeconds = clock.Elapsed.TotalSeconds;
        var artifactPath = trained.Artifact ?? throw new InvalidOperationException("an LMU run finished without an artifact");
        var artifact = ArtifactFile.Read(artifactPath);
        var mesh = CompileService.Compile(artifact.Network, profile, s.Target);
        var exponent = Exponents.Name(s.Target.Exponent);
        var placement = s.Target.Placement is PlacementChoice.Sequential ? null : mesh.Placement;
        error.WriteLine($"demo: compiled to {profile.Name}: {mesh.Cores.Length} cores ({string.Join(", ", mesh.Populations.Select(p => $"{p.Population} {p.Cores}"))}), {profile.Core.WeightBits}-bit weights, one exponent per {exponent}"
            + (placement is null ? "" : $", {placement} placement"));

        MeshEvaluation.Outcome meshRun;
        using (var interrupt = new CtrlC(cancel))
        {
            try
            {
                meshRun = await MeshEvaluation.RunAsync(artifactPath, artifact, mesh, meshData, s.Streams, error, interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
            {
                error.WriteLine($"interrupted during the mesh run: the trained model is kept in {folder}; finish by running the same command with --resume");
                return 130;
            }
        }
        var m = meshRun.Report;
        var torch = trained.Metrics?.Overall;
        var report = new DemoReport(folder, artifactPath,
            new DemoAccuracy(torch?.Accuracy ?? run.History[^1].TestAccuracy, data.Test.Count,
                m.FloatAccuracy, m.FixedPointAccuracy, m.MeshAccuracy, m.Samples, m.PredictionsDifferingFromFixedPoint, 1.0 / config.Model.Classes),
            new DemoTraining(config.Name, configSource, config.Data.Dataset, config.Training.Epochs, data.Train.Count, s.Resume, run.Parameters, run.SamplesPerSecond,
                torch?.ActivityBits, torch?.SpikesPerUnitPerStep, run.History),
            new DemoCompile(profile.Name, exponent, profile.Core.WeightBits, mesh.Cores.Length, profile.Layout.Cores, mesh.Populations) { Placement = placement },
            m,
            new DemoSeconds(trainingSeconds, clock.Elapsed.TotalSeconds - trainingSeconds, clock.Elapsed.TotalSeconds),
            Files);
        TrainingPlots.Accuracy(run.History, config.Name, Path.Combine(folder, TrainingPicture));
        MeshEvaluation.WriteFiles(folder, report, meshRun);

        Warn(report, profile, error);
        if (s.Json)
        {
            Cli.WriteJson(output, report);
            error.WriteLine($"demo: report and pictures in {folder}");
        }
        else Print(output, report, profile);
        return 0;
    }

    /// <summary>Says on stderr when the model or the mesh is close to chance (under twice the chance level), and why.</summary>
    private static void Warn(DemoReport r, HardwareProfile profile, TextWriter error)
    {
        var a = r.Accuracy;
        bool Near(double accuracy) => accuracy < 2 * a.Chance;
        if (Near(a.TorchSharpFloat32))
            error.WriteLine($"warning: the trained model is close to chance (TorchSharp {a.TorchSharpFloat32:P1}, chance {a.Chance:P0}): it has not learned yet; " +
                "train longer (--epochs) or on all the data (--train-limit 0). The mesh's accuracy means little until then.");
        else if (Near(a.Mesh))
            error.WriteLine($"warning: the mesh is close to chance ({a.Mesh:P1}, chance {a.Chance:P0}) while the float64 model gets {a.Float64:P1}: " +
                $"the {profile.Core.WeightBits}-bit weights lose it (fixed point {a.FixedPoint:P1}); try --exponent row or a profile with more weight bits.");
    }

    /// <summary>The embedded configs/hslmu-tiny.json, or <paramref name="path"/>.</summary>
    internal static (TrainingConfig Config, string Source) LoadConfig(string? path)
    {
        if (path is not null) return (TrainingConfig.Load(path), path);
        const string source = "configs/hslmu-tiny.json (embedded)";
        using var stream = typeof(DemoService).Assembly.GetManifestResourceStream(ConfigResource)
            ?? throw new InvalidOperationException($"resource {ConfigResource} missing from the build");
        using var reader = new StreamReader(stream);
        return (TrainingConfig.Parse(reader.ReadToEnd(), source), source);
    }

    /// <summary>The config saved in the checkpoint of the unfinished demo in <paramref name="folder"/>.</summary>
    private static (TrainingConfig Config, string Source) CheckpointConfig(string folder)
    {
        var path = Path.Combine(folder, Checkpoint.FileName);
        return (TrainingConfig.Parse(Checkpoint.ReadState(path).ConfigJson, path), path);
    }

    /// <summary>
    /// Refuses a folder that already holds demo files, unless --force (returns them: the caller deletes
    /// them, once every other option has been checked, so that no stale file survives a failed run) or
    /// --resume (an unfinished demo: a checkpoint and no report). Files the demo does not write are never touched.
    /// </summary>
    private static List<string> CheckFolder(string folder, bool force, bool resume)
    {
        Check.WritableFolder(folder, "--out");
        var existing = Directory.Exists(folder) ? Files.Where(f => File.Exists(Path.Combine(folder, f))).ToList() : [];
        bool finished = existing.Contains(MeshEvaluation.FileNames[0]);
        bool checkpoint = existing.Contains(Checkpoint.FileName);
        if (resume)
        {
            if (finished) throw new IOException($"{folder} holds a finished demo (report.json); pass --force to run it again, or choose another --out (nothing was changed)");
            if (!checkpoint) throw new FileNotFoundException($"--resume: {folder} holds no unfinished demo ({Checkpoint.FileName} not found)", Path.Combine(folder, Checkpoint.FileName));
            return [];
        }
        if (existing.Count == 0 || force) return existing;
        throw new IOException(
            finished ? $"{folder} already holds a finished demo (report.json); pass --force to replace it, or choose another --out (nothing was changed)"
            : checkpoint ? $"{folder} holds an unfinished demo ({Checkpoint.FileName}, no report.json); pass --resume to continue it, --force to start over, or choose another --out (nothing was changed)"
            : $"{folder} already has {string.Join(", ", existing)}; pass --force to replace them, or choose another --out (nothing was changed)");
    }

    private static void Print(TextWriter o, DemoReport r, HardwareProfile profile)
    {
        var a = r.Accuracy;
        var m = r.Mesh;
        var t = r.Training;
        double n = m.Samples;
        o.WriteLine($"HybridSpike demo: {t.Name} ({t.Parameters:N0} parameters) trained {t.Epochs} epoch{(t.Epochs == 1 ? "" : "s")} on {t.TrainSequences:N0} {t.Dataset} sequences in {r.Seconds.Training:0} s, " +
            $"compiled to {r.Compile.Profile} ({r.Compile.Cores} of {r.Compile.CoresAvailable} cores, {r.Compile.WeightBits}-bit weights, one exponent per {r.Compile.Exponent})");
        o.WriteLine();
        o.WriteLine("accuracy");
        o.WriteLine($"  float, TorchSharp float32          {a.TorchSharpFloat32,8:P2}   ({a.TorchSharpSamples:N0} test digits)");
        o.WriteLine($"  float64 golden model               {a.Float64,8:P2}   ({a.MeshSamples:N0} test digits, the same below)");
        o.WriteLine($"  fixed point ({r.Compile.WeightBits}-bit weights)        {a.FixedPoint,8:P2}");
        o.WriteLine($"  actor mesh                         {a.Mesh,8:P2}   ({(a.PredictionsDifferingFromFixedPoint == 0 ? "same prediction as the fixed-point model on every digit" : $"{a.PredictionsDifferingFromFixedPoint} predictions differ from the fixed-point model")})");
        o.WriteLine();
        o.WriteLine($"activity  {m.ActivityBitsPerSequence:0.00} bits per unit per sequence, {m.ActivityBits:0.00} over the whole test set (TorchSharp: {t.ActivityBits:0.00}), {m.SpikesPerUnitPerStep:0.000} spikes per unit and step");
        o.WriteLine($"spikes    {m.Spikes / n:N0} per inference ({(m.Spikes == m.FixedPointSpikes ? "equal to" : "DIFFERENT from")} the fixed-point model's in total)");
        o.WriteLine($"synaptic events {m.SynapticEvents / n:N0} per inference");
        o.WriteLine($"packets   {m.Packets / n:N0} per inference: {m.IntraChipPackets / n:N0} within a chip, {m.InterChipPackets / n:N0} between chips; hops {string.Join(" ", m.HopHistogram.OrderBy(h => h.Key).Select(h => $"{h.Key}:{h.Value / n:N0}"))}");
        if (m.BusiestLink is { } b) o.WriteLine($"busiest link ({b.FromX},{b.FromY})->({b.ToX},{b.ToY}) {b.Direction}: {b.Packets / n:N0} packets per inference");
        o.WriteLine($"energy    {MetricsText.Joules(m.EnergyPerInferenceJoules)} per inference on {profile.Name}");
        o.WriteLine($"time      {m.SecondsPerStep * 1e9:0} ns per step, {m.SecondsPerInference * 1e6:0.#} µs per {m.Steps}-step inference (estimated for {profile.Name})");
        o.WriteLine();
        o.WriteLine($"report: {r.Folder}");
        o.WriteLine($"  {string.Join(", ", MeshEvaluation.FileNames.Append(TrainingPicture))}");
        o.WriteLine($"  the trained model: {string.Join(", ", TrainingFiles)} (hybridspike eval|compile|simulate --model {r.Folder})");
        o.WriteLine($"took {r.Seconds.Total:0} s (training {r.Seconds.Training:0} s, compile and mesh {r.Seconds.CompileAndMesh:0} s)");
    }
}
