using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Host.Commands;

namespace HybridSpike.Host.Services;

/// <summary>One node process of a local cluster, as cluster.json records it.</summary>
/// <param name="Pid">The process id.</param>
/// <param name="StartTicks">When the process started, in the units of <see cref="ProcessIdentity"/>: a pid whose start differs is another process and is never signalled.</param>
/// <param name="StartTime">The same instant, for people.</param>
/// <param name="Address">The node's cluster address.</param>
/// <param name="Config">Its HOCON file (absolute).</param>
/// <param name="Log">Its stdout and stderr (absolute).</param>
/// <param name="Command">What was started.</param>
internal sealed record ClusterNodeRecord(string Name, int Pid, long StartTicks, DateTimeOffset StartTime, int Port, string Address, string Config, string Log,
    IReadOnlyList<string> Command);

/// <summary>The file a coordinator joins the cluster with: <c>simulate --cluster</c> needs a port of its own.</summary>
internal sealed record ClusterCoordinatorRecord(string Config, int Port, string Address);

/// <summary>DIR/cluster.json: what <c>cluster up</c> started, for <c>status</c> and <c>down</c>.</summary>
/// <param name="State"><c>starting</c> while <c>up</c> waits for the nodes (a record left by an <c>up</c> that died then still lets <c>down</c> stop them), <c>up</c> once every node joined.</param>
internal sealed record ClusterRecord(int Version, string State, string Dir, string Hostname, IReadOnlyList<string> SeedNodes, ClusterCoordinatorRecord Coordinator,
    IReadOnlyList<ClusterNodeRecord> Nodes, DateTimeOffset StartedAt);

/// <summary>What <c>cluster status</c> says of one node.</summary>
/// <param name="State"><c>running</c>, <c>exited</c>, or <c>pid-reused</c> (the pid now belongs to a process started at another time).</param>
internal sealed record ClusterNodeStatus(string Name, int Pid, int Port, string Address, string State, string Log);

/// <param name="Running">Nodes running, of <paramref name="Total"/>.</param>
internal sealed record ClusterStatusReport(string Dir, string State, int Running, int Total, IReadOnlyList<string> SeedNodes, string Coordinator, IReadOnlyList<ClusterNodeStatus> Nodes);

/// <summary>What <c>cluster down</c> did to one node.</summary>
/// <param name="Outcome"><c>stopped</c> (exited after SIGTERM), <c>killed</c> (SIGKILL after the timeout), <c>not-running</c> (gone before), <c>pid-reused</c> (not signalled: another process has the pid now), <c>still-running</c> (could not be stopped).</param>
internal sealed record ClusterNodeStop(string Name, int Pid, string Outcome, double Seconds);

internal sealed record ClusterUpReport(string Dir, IReadOnlyList<string> SeedNodes, ClusterCoordinatorRecord Coordinator, IReadOnlyList<ClusterNodeRecord> Nodes,
    string Simulate, string Down, double Seconds);

internal sealed record ClusterDownReport(string Dir, IReadOnlyList<ClusterNodeStop> Nodes, double Seconds);

/// <summary>
/// A process's identity beyond its pid: its start time. Pids are reused, so a recorded pid alone may name another
/// process by the time <c>down</c> runs; the start time of a pid does not change for the life of the process (not at
/// exec either), so the same pid with the same start is the same process.
/// </summary>
internal static class ProcessIdentity
{
    /// <summary>How a process is now: gone (or a zombie, which has exited), or alive since <c>StartTicks</c>.</summary>
    internal readonly record struct Seen(bool Alive, long StartTicks);

    /// <summary>
    /// On Linux field 22 of /proc/PID/stat (clock ticks since boot: exact, unlike <see cref="Process.StartTime"/>, which
    /// is derived from it and the boot time and can move by a tick between reads); elsewhere <see cref="Process.StartTime"/>.
    /// </summary>
    public static Seen Read(int pid)
    {
        if (pid <= 0) return default;
        if (OperatingSystem.IsLinux())
        {
            string stat;
            try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException) { return default; }
            // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: fields count from the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var state = fields[0];
            if (state is "Z" or "X" or "x") return default;
            return new Seen(true, long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture));
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited ? default : new Seen(true, p.StartTime.ToUniversalTime().Ticks);
        }
        catch (ArgumentException) { return default; }
        catch (InvalidOperationException) { return default; }
    }

    /// <summary>Alive, and the very process that was recorded.</summary>
    public static bool IsSame(int pid, long startTicks) => Read(pid) is { Alive: true } seen && seen.StartTicks == startTicks;

    /// <summary>The state word status and down report: running, exited or pid-reused.</summary>
    public static string State(int pid, long startTicks) => Read(pid) switch
    {
        { Alive: false } => "exited",
        var seen when seen.StartTicks == startTicks => "running",
        _ => "pid-reused",
    };

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public const int SigTerm = 15, SigKill = 9;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> only if it is still the process that started at <paramref name="startTicks"/>; false if it is not (or is gone).</summary>
    public static bool Signal(int pid, long startTicks, int signal)
    {
        // Checked right before the signal: the window in which the pid could be reused in between is a few microseconds,
        // against the minutes or days between `up` and `down`.
        if (!IsSame(pid, startTicks)) return false;
        if (Kill(pid, signal) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        const int NoSuchProcess = 3;
        if (errno == NoSuchProcess) return false;
        throw new MeshClusterException($"cannot signal process {pid} ({new System.ComponentModel.Win32Exception(errno).Message})");
    }
}

/// <summary>
/// <c>hybridspike cluster up|status|down</c>: a local cluster of <c>hybridspike node</c> processes on 127.0.0.1, started
/// in the background, recorded in DIR/cluster.json and stopped by their pids.
/// </summary>
internal static class ClusterService
{
    private const string Hostname = "127.0.0.1";
    private const string RecordFile = "cluster.json";

    /// <summary>How long the nodes of an <c>up</c> that failed get to leave before SIGKILL: they have hosted nothing.</summary>
    private static readonly TimeSpan FailedUpStopTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How often the logs and processes are looked at while waiting.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// node-1, the first seed, forms the cluster: before it does, it asks the other seeds for seed-node-timeout whether
    /// a cluster is already there. Akka's 5 s is for seeds across a network; `up` starts node-1 alone, so every start
    /// waited those 5 s for nothing, while on loopback a running node answers in milliseconds.
    /// </summary>
    private const string FirstSeed = """
        # The first seed: waits 1 s (not Akka's 5 s) for the other seeds to answer before it forms the cluster itself.
        akka.cluster.seed-node-timeout = 1s
        """;

    private static string Address(int port, ClusterUpTls? tls) => $"{(tls is null ? "akka.tcp" : "akka.ssl.tcp")}://{ClusterNodeConfig.SystemName}@{Hostname}:{port}";

    /// <summary>The TLS settings of every node file (the password stays in the environment the nodes inherit).</summary>
    private static string TlsSettings(ClusterUpTls? tls) => tls is null ? "" :
        $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{tls.Certificate}\", password-env = {tls.PasswordEnv} }}";

    /// <summary>The path as the user wrote the folder (for the lines to copy), with the file name.</summary>
    private static string Shown(string dir, string file) => Path.Combine(dir, file);

    public static async Task<int> UpAsync(ClusterUpRequest request, TextWriter o, TextWriter err, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var dir = Path.GetFullPath(request.Dir);
        Directory.CreateDirectory(dir);
        var recordPath = Path.Combine(dir, RecordFile);
        if (File.Exists(recordPath))
        {
            var old = ReadRecord(recordPath);
            var running = old.Nodes.Where(n => ProcessIdentity.IsSame(n.Pid, n.StartTicks)).ToList();
            if (running.Count > 0)
                throw new ArgumentException($"{Shown(request.Dir, RecordFile)} describes a cluster that is running ({string.Join(", ", running.Select(n => $"{n.Name} pid {n.Pid}"))}); " +
                    $"stop it first with `hybridspike cluster down --dir {request.Dir}`, or use another --dir");
            err.WriteLine($"cluster up: {Shown(request.Dir, RecordFile)} described a cluster that no longer runs; replacing it");
        }

        var ports = Enumerable.Range(request.BasePort, request.Nodes + 1).ToArray();
        string PortName(int i) => i < request.Nodes ? $"node-{i + 1}" : "the coordinator's file";
        var taken = ports.Select((port, i) => (port, i)).Where(p => !PortFree(p.port)).ToList();
        if (taken.Count > 0)
            throw new MeshClusterException($"port{(taken.Count > 1 ? "s" : "")} {string.Join(", ", taken.Select(t => $"{t.port} ({PortName(t.i)})"))} on {Hostname} " +
                $"{(taken.Count > 1 ? "are" : "is")} in use (another node or program listens there); stop it, or choose another --base-port (cluster up {request.Nodes} uses {ports[0]} to {ports[^1]})");

        var seeds = Enumerable.Range(0, request.Nodes).Select(i => Address(ports[i], request.Tls)).ToArray();
        var tls = TlsSettings(request.Tls);
        var nodeFiles = new string[request.Nodes];
        for (int i = 0; i < request.Nodes; i++)
            nodeFiles[i] = WriteNodeFile(dir, $"node-{i + 1}.hocon", ports[i], seeds,
                $"node-{i + 1} of a local cluster of {request.Nodes}, written by `hybridspike cluster up` (its process is recorded in cluster.json)",
                (i == 0 ? FirstSeed : "") + "\n" + tls);
        var coordinatorFile = WriteNodeFile(dir, "coordinator.hocon", ports[^1], seeds,
            $"The coordinator of a local cluster of {request.Nodes}, written by `hybridspike cluster up`: `simulate --cluster` or `serve --cluster` with this file joins as one more mesh node", tls);
        var coordinator = new ClusterCoordinatorRecord(coordinatorFile, ports[^1], Address(ports[^1], request.Tls));

        var (exe, prefix) = Launcher();
        var nodes = new List<ClusterNodeRecord>();
        var processes = new List<Process>();
        var startedAt = DateTimeOffset.UtcNow;
        ClusterRecord Record(string state) => new(1, state, dir, Hostname, seeds, coordinator, nodes, startedAt);
        err.WriteLine($"cluster up: starting {request.Nodes} node(s) on {Hostname}:{ports[0]}-{ports[request.Nodes - 1]} in {request.Dir} (at most {request.JoinTimeout.TotalSeconds:0} s to join)");
        var joinClock = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < request.Nodes; i++)
            {
                var name = $"node-{i + 1}";
                var log = Path.Combine(dir, $"{name}.log");
                // An old log's joined: line must not count for the new process.
                File.Delete(log);
                string[] command = [exe, .. prefix, "node", "--config", nodeFiles[i]];
                var process = StartDetached(command, log);
                processes.Add(process);
                var seen = ProcessIdentity.Read(process.Id);
                if (!seen.Alive) throw new MeshClusterException($"{name} (pid {process.Id}) exited at once; see {Shown(request.Dir, $"{name}.log")}: {LastLine(log)}");
                nodes.Add(new ClusterNodeRecord(name, process.Id, seen.StartTicks, StartTimeOf(process), ports[i], seeds[i], nodeFiles[i], log, command));
                // Recorded as soon as it runs: if this process dies while the nodes join, `down` still finds them.
                WriteRecord(recordPath, Record("starting"));
                // The first seed forms the cluster; the others start once it is Up. Started together, they reached for
                // it before it listened, and Akka's transport shut that address for 5 s (retry-gate-closed-for): every
                // other node joined 5 s late.
                if (i == 0) await WaitForJoinsAsync(request, nodes, processes, joinClock, err, cancel);
            }
            await WaitForJoinsAsync(request, nodes, processes, joinClock, err, cancel);
        }
        catch
        {
            err.WriteLine($"cluster up: stopping the node(s) started: {string.Join(", ", nodes.Select(n => $"{n.Name} (pid {n.Pid})"))}");
            foreach (var stop in await StopAsync(nodes, FailedUpStopTimeout, err))
                err.WriteLine($"cluster up: {stop.Name} (pid {stop.Pid}) {Outcome(stop)}");
            File.Delete(recordPath);
            throw;
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
        }
        WriteRecord(recordPath, Record("up"));

        var simulate = $"hybridspike simulate --model MODEL --cluster {Shown(request.Dir, "coordinator.hocon")} --nodes {request.Nodes + 1}";
        var down = $"hybridspike cluster down --dir {request.Dir}";
        var report = new ClusterUpReport(dir, seeds, coordinator, nodes, simulate, down, clock.Elapsed.TotalSeconds);
        if (request.Json) { Cli.WriteJson(o, report); return 0; }
        o.WriteLine($"cluster up: {request.Nodes} node(s) up on {Hostname} in {clock.Elapsed.TotalSeconds:0.0} s; recorded in {Shown(request.Dir, RecordFile)}");
        foreach (var n in nodes) o.WriteLine($"  {n.Name}  pid {n.Pid}  {n.Address}  log {Shown(request.Dir, Path.GetFileName(n.Log))}");
        o.WriteLine($"seed nodes: {string.Join(", ", seeds)}");
        o.WriteLine($"run a mesh on it (the run joins as one more node, on port {coordinator.Port}):");
        o.WriteLine($"  {simulate}");
        o.WriteLine($"stop it: {down}");
        return 0;
    }

    /// <summary>Until every node has written its <c>joined:</c> line (it is Up in the cluster); fails if one exits first or the time runs out.</summary>
    /// <param name="deadline">Started when the first node was: --join-timeout is for them all.</param>
    private static async Task WaitForJoinsAsync(ClusterUpRequest request, List<ClusterNodeRecord> nodes, List<Process> processes, Stopwatch deadline, TextWriter err,
        CancellationToken cancel)
    {
        var joined = nodes.Select(n => Joined(n.Log)).ToArray();
        while (true)
        {
            for (int i = 0; i < nodes.Count; i++)
            {
                if (joined[i]) continue;
                var n = nodes[i];
                if (Joined(n.Log))
                {
                    joined[i] = true;
                    err.WriteLine($"cluster up: {n.Name} (pid {n.Pid}) joined after {deadline.Elapsed.TotalSeconds:0.0} s");
                    continue;
                }
                if (processes[i].HasExited)
                    throw new MeshClusterException($"{n.Name} (pid {n.Pid}) exited with code {processes[i].ExitCode} before it joined: {LastLine(n.Log)} (log {Shown(request.Dir, Path.GetFileName(n.Log))})");
            }
            if (joined.All(j => j)) return;
            if (deadline.Elapsed >= request.JoinTimeout)
            {
                var late = nodes.Where((_, i) => !joined[i]).Select(n => $"{n.Name}: {LastLine(n.Log)}").ToList();
                // node-1 alone: the others are started once it is up.
                if (nodes.Count < request.Nodes)
                    late.Add(request.Nodes - nodes.Count == 1 ? $"node-{request.Nodes}: not started, it starts once node-1 is up" : $"node-{nodes.Count + 1} to node-{request.Nodes}: not started, they start once node-1 is up");
                throw new MeshClusterException($"only {joined.Count(j => j)} of {request.Nodes} nodes joined within {request.JoinTimeout.TotalSeconds:0} s " +
                    $"({string.Join("; ", late)}); logs in {request.Dir}");
            }
            await Task.Delay(Poll, cancel);
        }
    }

    private static bool Joined(string log) => ReadLines(log).Any(l => l.StartsWith("joined:", StringComparison.Ordinal));

    public static int Status(ClusterStatusRequest request, TextWriter o, TextWriter err)
    {
        var record = Recorded(request.Dir);
        var states = record.Nodes.Select(n => new ClusterNodeStatus(n.Name, n.Pid, n.Port, n.Address, ProcessIdentity.State(n.Pid, n.StartTicks), n.Log)).ToList();
        int running = states.Count(s => s.State == "running");
        var report = new ClusterStatusReport(Path.GetFullPath(request.Dir), record.State, running, states.Count, record.SeedNodes, record.Coordinator.Config, states);
        if (request.Json) Cli.WriteJson(o, report);
        else
        {
            o.WriteLine($"cluster {request.Dir}: {running} of {states.Count} node(s) running ({(record.State == "up" ? $"all joined at {record.StartedAt:u}" : "recorded while starting")})");
            foreach (var s in states)
                o.WriteLine($"  {s.Name}  pid {s.Pid}  {s.Address}  {Described(s.State)}");
            o.WriteLine($"coordinator file: {record.Coordinator.Config}");
        }
        // Every node running is the cluster that was started; fewer is one that cannot serve as started (the report says which).
        if (running == states.Count) return 0;
        err.WriteLine($"cluster status: {states.Count - running} of {states.Count} node(s) not running");
        return Cli.Unavailable;
    }

    private static string Described(string state) => state switch
    {
        "running" => "running",
        "exited" => "not running (exited)",
        _ => "not running (its pid is now another process's)",
    };

    public static async Task<int> DownAsync(ClusterDownRequest request, TextWriter o, TextWriter err, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var recordPath = Path.Combine(Path.GetFullPath(request.Dir), RecordFile);
        var record = Recorded(request.Dir);
        var stops = await StopAsync(record.Nodes, request.Timeout, err);
        var left = stops.Where(s => s.Outcome == "still-running").ToList();
        // Only a cluster that is gone is forgotten: a node still there stays recorded for another `down`.
        if (left.Count == 0) File.Delete(recordPath);
        var report = new ClusterDownReport(Path.GetFullPath(request.Dir), stops, clock.Elapsed.TotalSeconds);
        if (request.Json) Cli.WriteJson(o, report);
        else
        {
            foreach (var s in stops) o.WriteLine($"  {s.Name}  pid {s.Pid}  {Outcome(s)}");
            o.WriteLine(left.Count == 0
                ? $"cluster down: {stops.Count} node(s) stopped in {clock.Elapsed.TotalSeconds:0.0} s; {Shown(request.Dir, RecordFile)} removed, logs kept in {request.Dir}"
                : $"cluster down: {left.Count} node(s) still running; {Shown(request.Dir, RecordFile)} kept");
        }
        if (left.Count == 0) return 0;
        err.WriteLine($"cluster down: could not stop {string.Join(", ", left.Select(s => $"{s.Name} (pid {s.Pid})"))}");
        return Cli.Unavailable;
    }

    private static string Outcome(ClusterNodeStop s) => s.Outcome switch
    {
        "stopped" => $"left the cluster and exited after SIGTERM ({s.Seconds:0.0} s)",
        "killed" => $"did not exit within the timeout after SIGTERM; killed (SIGKILL, {s.Seconds:0.0} s)",
        "not-running" => "was not running",
        "pid-reused" => "was not running; its pid is now another process's, not signalled",
        _ => "still running",
    };

    /// <summary>
    /// SIGTERM to every node that is still the recorded process (a node leaves the cluster gracefully and exits), all at
    /// once so that the leaves overlap; SIGKILL to any still there after <paramref name="timeout"/>.
    /// </summary>
    private static async Task<List<ClusterNodeStop>> StopAsync(IReadOnlyList<ClusterNodeRecord> nodes, TimeSpan timeout, TextWriter err)
    {
        var clock = Stopwatch.StartNew();
        var outcome = new string?[nodes.Count];
        var seconds = new double[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            var state = ProcessIdentity.State(n.Pid, n.StartTicks);
            if (state == "exited") outcome[i] = "not-running";
            else if (state == "pid-reused")
            {
                outcome[i] = "pid-reused";
                err.WriteLine($"cluster: {n.Name}: pid {n.Pid} is now another process (started at another time); not signalled");
            }
            else if (!ProcessIdentity.Signal(n.Pid, n.StartTicks, ProcessIdentity.SigTerm)) outcome[i] = "not-running";
        }
        await WaitGoneAsync(nodes, outcome, seconds, timeout, clock, "stopped");
        for (int i = 0; i < nodes.Count; i++)
            if (outcome[i] is null)
            {
                err.WriteLine($"cluster: {nodes[i].Name} (pid {nodes[i].Pid}) still runs {timeout.TotalSeconds:0} s after SIGTERM; sending SIGKILL");
                ProcessIdentity.Signal(nodes[i].Pid, nodes[i].StartTicks, ProcessIdentity.SigKill);
            }
        // SIGKILL cannot be caught; a few seconds is for a loaded machine to tear the process down.
        await WaitGoneAsync(nodes, outcome, seconds, TimeSpan.FromSeconds(5), Stopwatch.StartNew(), "killed", clock);
        return nodes.Select((n, i) => new ClusterNodeStop(n.Name, n.Pid, outcome[i] ?? "still-running", seconds[i])).ToList();
    }

    private static async Task WaitGoneAsync(IReadOnlyList<ClusterNodeRecord> nodes, string?[] outcome, double[] seconds, TimeSpan timeout, Stopwatch waited,
        string gone, Stopwatch? total = null)
    {
        total ??= waited;
        while (true)
        {
            for (int i = 0; i < nodes.Count; i++)
                if (outcome[i] is null && !ProcessIdentity.IsSame(nodes[i].Pid, nodes[i].StartTicks))
                {
                    outcome[i] = gone;
                    seconds[i] = total.Elapsed.TotalSeconds;
                }
            if (outcome.All(x => x is not null) || waited.Elapsed >= timeout) return;
            // Not cancellable: stopping is what a Ctrl-C during `up` asked for, and half a stop leaves nodes unrecorded.
            await Task.Delay(Poll, CancellationToken.None);
        }
    }

    /// <summary>The cluster recorded in <paramref name="dir"/>, or a bad-input error saying there is none.</summary>
    private static ClusterRecord Recorded(string dir)
    {
        var path = Path.Combine(Path.GetFullPath(dir), RecordFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"no cluster is recorded in {dir} ({Shown(dir, RecordFile)} not found); start one with `hybridspike cluster up N --dir {dir}`", path);
        return ReadRecord(path);
    }

    private static ClusterRecord ReadRecord(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ClusterRecord>(File.ReadAllText(path), Cli.Json) is { Nodes: not null, Coordinator: not null, SeedNodes: not null } r
                ? r
                : throw new InvalidDataException($"{path}: not a cluster record written by `hybridspike cluster up`");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a cluster record written by `hybridspike cluster up` ({e.Message}); remove it if no cluster of it runs", e);
        }
    }

    /// <summary>Written whole and then moved into place, so that a reader (or an <c>up</c> that dies while writing) never leaves half a record.</summary>
    private static void WriteRecord(string path, ClusterRecord record)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(record, Cli.Json));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A node file over reference.conf's defaults, as cluster-config/two-node-a.hocon, checked the way <c>node</c> will read it.</summary>
    private static string WriteNodeFile(string dir, string name, int port, IReadOnlyList<string> seeds, string comment, string extra = "")
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, $"""
            # {comment}.
            # Every node lists the same seeds: node-1, the first, forms the cluster and the others (and a coordinator) join it.
            # Anything not set here comes from HybridSpike.Actors' reference.conf.
            akka.remote.dot-netty.tcp.hostname = {Hostname}
            akka.remote.dot-netty.tcp.port = {port}
            akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => $"\"{s}\""))}]
            {extra}

            """);
        var config = ClusterNodeConfig.Load(path);
        if (config.Port != port || config.Hostname != Hostname || config.SeedNodes.Length != seeds.Count)
            throw new InvalidOperationException($"{path} reads back as {config.Hostname}:{config.Port} with {config.SeedNodes.Length} seeds, not as written");
        return path;
    }

    /// <summary>A probe bind without address reuse, as <see cref="ClusterNodeConfig.CheckCanListen"/>'s: the one Akka's own bind would fail on.</summary>
    private static bool PortFree(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Parse(Hostname), port));
            probe.Listen(1);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }

    /// <summary>
    /// The command that runs this same hybridspike: its apphost when that is what runs, otherwise dotnet with this
    /// assembly (run as <c>dotnet hybridspike.dll</c>, or from a test host, whose entry assembly is not ours).
    /// </summary>
    private static (string Exe, string[] Prefix) Launcher()
    {
        var dll = typeof(ClusterService).Assembly.Location;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == Path.GetFileNameWithoutExtension(dll)) return (self, []);
        var dotnet = self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? self
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return (dotnet, [dll]);
    }

    /// <summary>
    /// Starts <paramref name="command"/> in the background: stdin from /dev/null, stdout and stderr to <paramref name="log"/>
    /// (so that it holds no pipe of ours and outlives this process), in a session of its own through setsid (so that a
    /// Ctrl-C or hang-up in the terminal that ran <c>up</c> does not reach it). sh and setsid exec, so the pid is the node's.
    /// </summary>
    private static Process StartDetached(string[] command, string log)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Environment.CurrentDirectory };
        // setsid forks only when it runs as a process group leader, and a child of this process is not one: it execs.
        // Without setsid (not a util-linux system) the node stays in this process's group, still detached from its pipes.
        var setsid = FindOnPath("setsid");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=$1; shift; exec \"$@\" < /dev/null > \"$log\" 2>&1");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(log);
        if (setsid is not null) start.ArgumentList.Add(setsid);
        foreach (var a in command) start.ArgumentList.Add(a);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static DateTimeOffset StartTimeOf(Process process)
    {
        try { return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero); }
        catch (InvalidOperationException) { return DateTimeOffset.UtcNow; }
    }

    /// <summary>A log's lines, read while the node still writes it.</summary>
    private static string[] ReadLines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <summary>What a node said last (its error line, if it wrote one), for the one-line errors.</summary>
    private static string LastLine(string log)
    {
        var lines = ReadLines(log);
        return lines.LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? "its log is empty";
    }
}
