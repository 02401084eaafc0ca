using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using HybridSpike.Core.Serving;

namespace HybridSpike.Host.Trainer;

/// <summary>
/// One training job: its state (what its job.json holds), the events it has sent (progress after every batch, each
/// change of state) and the event streams reading them. Every change is made under one lock, so that a stream's
/// history and its live events neither overlap nor miss one.
/// </summary>
internal sealed class Job
{
    /// <summary>Progress events kept for a stream that connects late: the newest this many (every state event is kept).</summary>
    internal const int MaxHistory = 1_000;

    /// <summary>Events buffered for one stream; a client that reads slower than training reports misses progress events beyond it (GET /v2/jobs/{id} still says where the job is).</summary>
    internal const int StreamBuffer = 256;

    private readonly object _gate = new();
    private readonly List<JobEvent> _history = [];
    private readonly List<Channel<JobEvent>> _streams = [];
    private JobInfo _info;
    private bool _ended;
    private CancellationTokenSource? _running;
    private bool _cancelRequested;

    public Job(JobInfo info) => _info = info;

    public JobInfo Info { get { lock (_gate) return _info; } }

    public string Id => _info.Id;

    public string JsonPath => Path.Combine(_info.Folder, JobStore.JobFile);

    public string ConfigPath => Path.Combine(_info.Folder, JobStore.ConfigFile);

    /// <summary>Whether DELETE asked this job to stop (the runner then marks it cancelled, not interrupted).</summary>
    public bool CancelRequested { get { lock (_gate) return _cancelRequested; } }

    /// <summary>Changes the job's state (written to job.json at once); a change of <see cref="JobInfo.State"/> is an event.</summary>
    public JobInfo Update(Func<JobInfo, JobInfo> change)
    {
        lock (_gate)
        {
            var before = _info.State;
            _info = change(_info);
            JobStore.Write(JsonPath, _info);
            if (_info.State != before) Publish(JobEvent.Of(_info));
            if (JobStates.IsFinal(_info.State)) EndStreams();
            return _info;
        }
    }

    /// <summary>A progress report of the training loop (on its thread): an event; job.json is written at each epoch's first and last batch.</summary>
    public void Report(JobProgress progress)
    {
        lock (_gate)
        {
            bool write = progress.Epoch != _info.Epoch || progress.Batch == progress.Batches;
            _info = _info with { Epoch = progress.Epoch, Epochs = progress.Epochs, Last = progress };
            // The trainer saves a checkpoint at every epoch's end: from the second epoch on, the job names it.
            if (write && _info.Checkpoint is null && File.Exists(Path.Combine(_info.Folder, Training.Checkpoint.FileName)))
                _info = _info with { Checkpoint = Path.Combine(_info.Folder, Training.Checkpoint.FileName) };
            if (write) JobStore.Write(JsonPath, _info);
            Publish(JobEvent.Of(progress));
        }
    }

    private void Publish(JobEvent e)
    {
        _history.Add(e);
        if (e.Progress is not null && _history.Count(h => h.Progress is not null) > MaxHistory)
            _history.RemoveAt(_history.FindIndex(h => h.Progress is not null));
        foreach (var s in _streams) s.Writer.TryWrite(e);   // full: this one progress event is not sent to that client
    }

    /// <summary>The events so far and, unless the job has ended (or the trainer is stopping), a reader of those to come.</summary>
    public (IReadOnlyList<JobEvent> History, Channel<JobEvent>? Live) Subscribe()
    {
        lock (_gate)
        {
            // A job loaded from disk has no events yet: its state is its first.
            if (_history.Count == 0) _history.Add(JobEvent.Of(_info));
            if (_ended || JobStates.IsFinal(_info.State)) return ([.. _history], null);
            var live = Channel.CreateBounded<JobEvent>(new BoundedChannelOptions(StreamBuffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            _streams.Add(live);
            return ([.. _history], live);
        }
    }

    public void Unsubscribe(Channel<JobEvent>? live)
    {
        if (live is null) return;
        lock (_gate) _streams.Remove(live);
    }

    /// <summary>Ends every stream of this job (it ended, or the trainer is stopping); later ones get the history only.</summary>
    public void EndStreams()
    {
        lock (_gate)
        {
            _ended = true;
            foreach (var s in _streams) s.Writer.TryComplete();
            _streams.Clear();
        }
    }

    /// <summary>Marks a queued job running with the token that stops it; false if it was cancelled meanwhile.</summary>
    public bool TryStart(CancellationTokenSource running)
    {
        lock (_gate)
        {
            if (_info.State != JobState.Queued || _cancelRequested) return false;
            _running = running;
            Update(i => i with { State = JobState.Running });
            return true;
        }
    }

    public void Stopped()
    {
        lock (_gate) _running = null;
    }

    /// <summary>
    /// DELETE: a queued job is cancelled at once, a running one asked to stop at its next batch (it saves its checkpoint
    /// first). Null when it is cancelled or stopping now; otherwise why not (it had already ended).
    /// </summary>
    public string? Cancel()
    {
        lock (_gate)
        {
            if (JobStates.IsFinal(_info.State)) return $"job {_info.Id} has already {_info.State.ToString().ToLowerInvariant()}";
            _cancelRequested = true;
            if (_info.State == JobState.Queued) Update(i => i with { State = JobState.Cancelled });
            else _running?.Cancel();
            return null;
        }
    }
}

/// <summary>
/// The trainer's jobs, one folder each under its --jobs folder: config.json (the config it trains, overrides
/// applied), job.json (its state, written atomically: a temporary file renamed over the old one), and what training
/// writes there (checkpoint, history, metrics, artifact). Read back when a trainer starts, so that unfinished jobs resume.
/// </summary>
internal sealed class JobStore
{
    public const string JobFile = "job.json";
    public const string ConfigFile = "config.json";

    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);

    private JobStore(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>The jobs' JSON (the wire's camelCase, indented for a reader).</summary>
    private static readonly JsonSerializerOptions Json = new(StreamClient.Json) { WriteIndented = true };

    /// <summary>
    /// Opens (or makes) <paramref name="folder"/> and reads every job in it. A job.json that cannot be read is reported
    /// to <paramref name="report"/> by its path and skipped: never overwritten or deleted, so that nothing of it is lost.
    /// </summary>
    public static JobStore Open(string folder, Action<string> report)
    {
        Commands.Check.WritableFolder(folder, "--jobs");
        var full = Path.GetFullPath(folder);
        Directory.CreateDirectory(full);
        var store = new JobStore(full);
        foreach (var dir in Directory.EnumerateDirectories(full))
        {
            var path = Path.Combine(dir, JobFile);
            if (!File.Exists(path)) continue;
            try
            {
                var info = Read(path, Path.GetFileName(dir));
                store._jobs[info.Id] = new Job(info with { Folder = dir });
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                report($"{path}: not a readable job ({e.Message}); skipped, and left as it is");
            }
        }
        return store;
    }

    private static JobInfo Read(string path, string folderName)
    {
        var info = JsonSerializer.Deserialize<JobInfo>(File.ReadAllText(path), Json) ?? throw new InvalidDataException("it is null");
        if (info.Id != folderName) throw new InvalidDataException($"its id '{info.Id}' is not its folder's name '{folderName}'");
        if (info.Name is null || info.History is null || info.Resumed is null) throw new InvalidDataException("name, history or resumed is missing");
        if (!Enum.IsDefined(info.State)) throw new InvalidDataException($"state {(int)info.State} is not a job state");
        return info;
    }

    /// <summary>A new job's folder with its config and job.json (queued).</summary>
    public Job Create(Training.Config.TrainingConfig config, Uri? deployTo)
    {
        var id = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant()}";
        var dir = Path.Combine(Folder, id);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJson());
        var info = new JobInfo(id, config.Name, JobState.Queued, DateTimeOffset.UtcNow, dir, 0, config.Training.Epochs, null, [], [], null, null, deployTo?.ToString(), null, null, null);
        Write(Path.Combine(dir, JobFile), info);
        var job = new Job(info);
        _jobs[id] = job;
        return job;
    }

    public Job? Find(string id) => _jobs.GetValueOrDefault(id);

    /// <summary>Every job, newest first.</summary>
    public IReadOnlyList<Job> All() => [.. _jobs.Values.OrderByDescending(j => j.Info.Submitted).ThenByDescending(j => j.Id, StringComparer.Ordinal)];

    /// <summary>Writes a job.json atomically: a crash leaves the old one or the new one, never half of one.</summary>
    internal static void Write(string path, JobInfo info)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, JsonSerializer.Serialize(info, Json));
        File.Move(temporary, path, overwrite: true);
    }
}
