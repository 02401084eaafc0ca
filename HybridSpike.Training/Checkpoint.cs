using System.Text.Json;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using TorchSharp;

namespace HybridSpike.Training;

/// <summary>One epoch's results, as logged and kept in the checkpoint.</summary>
/// <param name="ResidentMegabytes">The process's resident memory at the end of the epoch.</param>
/// <param name="PeakResidentMegabytes">The process's peak resident memory so far (it should level off after the first epoch).</param>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double TestLoss,
    double TestAccuracy,
    IReadOnlyDictionary<string, double> Omega,
    double Seconds,
    double ResidentMegabytes = 0,
    double PeakResidentMegabytes = 0);

/// <summary>Where a run stands: enough to resume it exactly.</summary>
public sealed record CheckpointState(
    string ConfigJson,
    int Epoch,
    int BatchInEpoch,
    long BatchesDone,
    double RunningLoss,
    long RunningCorrect,
    long RunningSeen,
    IReadOnlyList<EpochRecord> History,
    string Version);

/// <summary>
/// A training checkpoint: one file holding the run's state (JSON), the model's parameters and
/// buffers, and the optimizer's state (TorchSharp's binary formats). Layout:
/// <c>"HSCKPT1\n"</c>, int32 length + UTF-8 JSON state, model, optimizer. Written to a temporary
/// file and renamed over the old one, so a crash or a full disk never leaves a half-written checkpoint.
/// </summary>
public static class Checkpoint
{
    public const string FileName = "checkpoint.hsckpt";
    private static readonly byte[] Magic = "HSCKPT1\n"u8.ToArray();

    /// <summary>Whether the file starts with the checkpoint magic (reads 8 bytes).</summary>
    public static bool IsCheckpoint(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head.SequenceEqual(Magic);
    }

    /// <summary>
    /// Deletes the temporary files that interrupted saves of <paramref name="path"/> left behind
    /// (<c>.checkpoint.hsckpt.PID.tmp</c>, see <see cref="Save"/>) whose process is no longer running; a live
    /// process's save in progress is left alone. Returns the files deleted.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) return [];
        var prefix = $".{Path.GetFileName(path)}.";
        var removed = new List<string>();
        foreach (var file in Directory.EnumerateFiles(dir, prefix + "*.tmp"))
        {
            var pid = Path.GetFileName(file)[prefix.Length..^".tmp".Length];
            if (!int.TryParse(pid, out int id) || IsRunning(id)) continue;
            File.Delete(file);
            removed.Add(file);
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }     // no such process
    }

    public static void Save(string path, CheckpointState state, SequenceModel model, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var w = new BinaryWriter(file))
            {
                w.Write(Magic);
                var json = JsonSerializer.SerializeToUtf8Bytes(state, TrainingConfig.Json);
                w.Write(json.Length);
                w.Write(json);
                model.save(w);
                optimizer.save_state_dict(w);
                w.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Reads the state only (to rebuild the model from its config before loading weights).</summary>
    public static CheckpointState ReadState(string path)
    {
        using var file = OpenChecked(path);
        using var r = new BinaryReader(file);
        return ReadHeader(r, path);
    }

    /// <summary>Loads weights (and optimizer state when given) into a model built from the checkpoint's config.</summary>
    public static CheckpointState Load(string path, SequenceModel model, TorchSharp.Modules.OptimizerHelper? optimizer)
    {
        using var file = OpenChecked(path);
        using var r = new BinaryReader(file);
        var state = ReadHeader(r, path);
        try
        {
            model.load(r, strict: true);
            optimizer?.load_state_dict(r);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: corrupt checkpoint: the model or optimizer state does not load ({e.Message})", e);
        }
        return state;
    }

    private static FileStream OpenChecked(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        return File.OpenRead(path);
    }

    private static CheckpointState ReadHeader(BinaryReader r, string path)
    {
        try
        {
            var magic = r.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException($"{path}: not a HybridSpike checkpoint (bad magic)");
            int length = r.ReadInt32();
            if (length <= 0 || length > 64 << 20) throw new InvalidDataException($"{path}: corrupt checkpoint (state length {length})");
            var json = r.ReadBytes(length);
            if (json.Length != length) throw new InvalidDataException($"{path}: truncated checkpoint");
            return JsonSerializer.Deserialize<CheckpointState>(json, TrainingConfig.Json)
                ?? throw new InvalidDataException($"{path}: corrupt checkpoint (empty state)");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: corrupt checkpoint state ({e.Message})", e);
        }
    }
}
