using System.Security.Cryptography;
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
/// <c>"HSCKPT2\n"</c>, int32 length + UTF-8 JSON state, model, optimizer, then the SHA-256 of every byte
/// before it (32 bytes). Written to a temporary file and renamed over the old one, so a crash or a full
/// disk never leaves a half-written checkpoint; the digest is checked before anything else is read, so a
/// damaged, cut-off or appended-to file is refused whole. A <c>"HSCKPT1\n"</c> file (the same without the
/// digest, written before it existed) is still read, unchecked.
/// </summary>
public static class Checkpoint
{
    public const string FileName = "checkpoint.hsckpt";
    private static readonly byte[] Magic = "HSCKPT2\n"u8.ToArray();

    /// <summary>The magic of checkpoints written before the digest: read without one.</summary>
    private static readonly byte[] MagicWithoutDigest = "HSCKPT1\n"u8.ToArray();

    private const int DigestBytes = 32;

    /// <summary>Whether the file starts with a checkpoint magic (reads 8 bytes).</summary>
    public static bool IsCheckpoint(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length
            && (head.SequenceEqual(Magic) || head.SequenceEqual(MagicWithoutDigest));
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
            {
                using (var hashing = new HashingStream(file))
                using (var w = new BinaryWriter(hashing, System.Text.Encoding.UTF8, leaveOpen: true))
                {
                    w.Write(Magic);
                    var json = JsonSerializer.SerializeToUtf8Bytes(state, TrainingConfig.Json);
                    w.Write(json.Length);
                    w.Write(json);
                    model.save(w);
                    optimizer.save_state_dict(w);
                    w.Flush();
                    file.Write(hashing.Digest());
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Reads the state only (to rebuild the model from its config before loading weights), after checking the
    /// file's digest and the state's fields (<see cref="CheckState"/>): a damaged file throws
    /// <see cref="InvalidDataException"/> naming it, a bad config <see cref="ConfigException"/>.
    /// </summary>
    public static CheckpointState ReadState(string path)
    {
        using var file = OpenChecked(path);
        using var r = new BinaryReader(file);
        return ReadHeader(r, path);
    }

    /// <summary>Loads weights (and optimizer state when given) into a model built from the checkpoint's config; checks as <see cref="ReadState"/>.</summary>
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
        if (optimizer is not null && file is PayloadStream payload && payload.Position != payload.Length)
            throw new InvalidDataException($"{path}: corrupt checkpoint: {payload.Length - payload.Position} bytes follow the optimizer state");
        return state;
    }

    /// <summary>
    /// The file, its digest checked: for a <c>"HSCKPT2\n"</c> file, a stream of the bytes before the digest
    /// (reading past them is the end of the stream); an older file as it is.
    /// </summary>
    private static Stream OpenChecked(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        var file = File.OpenRead(path);
        try
        {
            Span<byte> head = stackalloc byte[8];
            if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) != head.Length || !head.SequenceEqual(Magic))
            {
                file.Position = 0;
                return file;   // an older checkpoint, or not one at all: ReadHeader says which
            }
            long payload = file.Length - DigestBytes;
            if (payload < Magic.Length + sizeof(int)) throw new InvalidDataException($"{path}: truncated checkpoint ({file.Length} bytes)");
            file.Position = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            for (long left = payload; left > 0;)
            {
                int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw new InvalidDataException($"{path}: truncated checkpoint");
                sha.AppendData(buffer, 0, n);
                left -= n;
            }
            var stored = new byte[DigestBytes];
            file.ReadExactly(stored);
            var actual = sha.GetHashAndReset();
            if (!actual.AsSpan().SequenceEqual(stored))
                throw new InvalidDataException(
                    $"{path}: the checkpoint's digest does not match: it stores {Convert.ToHexStringLower(stored)[..12]}…, its contents hash to " +
                    $"{Convert.ToHexStringLower(actual)[..12]}… (the file is damaged, cut off or appended to; it was not used and is left as it is)");
            file.Position = 0;
            return new PayloadStream(file, payload);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static CheckpointState ReadHeader(BinaryReader r, string path)
    {
        CheckpointState? state;
        try
        {
            var magic = r.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic) && !magic.AsSpan().SequenceEqual(MagicWithoutDigest))
                throw new InvalidDataException($"{path}: not a HybridSpike checkpoint (bad magic)");
            int length = r.ReadInt32();
            if (length <= 0 || length > 64 << 20) throw new InvalidDataException($"{path}: corrupt checkpoint (state length {length})");
            var json = r.ReadBytes(length);
            if (json.Length != length) throw new InvalidDataException($"{path}: truncated checkpoint");
            state = JsonSerializer.Deserialize<CheckpointState>(json, TrainingConfig.Json);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: corrupt checkpoint state ({e.Message})", e);
        }
        CheckState(state, path);
        return state!;
    }

    /// <summary>
    /// The state's fields, each with its name: present, in range, and consistent with the config it holds
    /// (epoch within 0..epochs, one history record per finished epoch). Whether <c>batchInEpoch</c> is below the
    /// batches of an epoch depends on the data; the trainer checks it where it resumes.
    /// </summary>
    private static void CheckState(CheckpointState? s, string path)
    {
        InvalidDataException Bad(string problem) => new($"{path}: corrupt checkpoint state: {problem}");
        if (s is null) throw Bad("the state is empty (null)");
        if (s.ConfigJson is null) throw Bad("configJson is missing (null)");
        if (s.Version is null) throw Bad("version is missing (null)");
        if (s.History is null) throw Bad("history is missing (null)");
        for (int i = 0; i < s.History.Count; i++)
        {
            if (s.History[i] is null) throw Bad($"history[{i}] is null");
            if (s.History[i].Omega is null) throw Bad($"history[{i}].omega is missing (null)");
        }
        if (s.Epoch < 0) throw Bad($"epoch {s.Epoch} is negative");
        if (s.BatchInEpoch < 0) throw Bad($"batchInEpoch {s.BatchInEpoch} is negative");
        if (s.BatchesDone < 0) throw Bad($"batchesDone {s.BatchesDone} is negative");
        if (s.RunningSeen < 0) throw Bad($"runningSeen {s.RunningSeen} is negative");
        if (s.RunningCorrect < 0 || s.RunningCorrect > s.RunningSeen) throw Bad($"runningCorrect {s.RunningCorrect} is not within 0..runningSeen ({s.RunningSeen})");
        if (!(s.RunningLoss >= 0) || !double.IsFinite(s.RunningLoss)) throw Bad($"runningLoss {s.RunningLoss} is not a finite, non-negative sum");
        var config = TrainingConfig.Parse(s.ConfigJson, $"{path}: configJson");
        int epochs = config.Training.Epochs;
        if (s.Epoch > epochs) throw Bad($"epoch {s.Epoch} is not within 0..{epochs} (the config's training.epochs)");
        if (s.History.Count != s.Epoch) throw Bad($"history holds {s.History.Count} epochs, but epoch is {s.Epoch}");
        if (s.Epoch == epochs && s.BatchInEpoch > 0) throw Bad($"batchInEpoch {s.BatchInEpoch} after the last epoch ({epochs}) is done");
        if (config.Training.MaxBatchesPerEpoch > 0 && s.BatchInEpoch >= config.Training.MaxBatchesPerEpoch)
            throw Bad($"batchInEpoch {s.BatchInEpoch} is not below the config's training.maxBatchesPerEpoch ({config.Training.MaxBatchesPerEpoch})");
    }

    /// <summary>Writes through to a stream and hashes what it writes (SHA-256).</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public byte[] Digest() => _sha.GetHashAndReset();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            _sha.AppendData(buffer);
        }

        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _sha.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>The first <c>length</c> bytes of a file (its payload without the digest), read-only.</summary>
    private sealed class PayloadStream(FileStream file, long length) : Stream
    {
        public override long Length => length;
        public override long Position { get => file.Position; set => file.Position = Math.Clamp(value, 0, length); }
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long left = length - file.Position;
            if (left <= 0) return 0;
            return file.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) file.Dispose();
            base.Dispose(disposing);
        }
    }
}
