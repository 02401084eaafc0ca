using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using HybridSpike.Actors.Cluster;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime.Protocol;
using HybridSpike.Actors.Runtime.Recovery;
using HybridSpike.Actors.Runtime.Session;

namespace HybridSpike.Actors.Runtime.Deployment;

/// <summary>
/// The deployment of one compiled mesh, its one job: it hosts the cores once (here, or on the cluster nodes its
/// options name), wires them, starts the step driver and watches them for as long as the deployment lives. Remote cores
/// get their weights once, at deployment, never per stream. A core that fails ends the deployment with that error: its
/// streams end with it, none hangs. A node that stops its cores, leaves, dies or becomes unreachable is recovered from
/// when recovery points are on (docs/cluster.md, "Recovery"):
/// <list type="number">
/// <item>suspend: the driver stops feeding and hands back its last recovery point;</item>
/// <item>re-place: the lost nodes' cores go to the nodes left (<see cref="Replacement"/>), the others stay;</item>
/// <item>restore: every core of the old epoch is stopped and every core hosted again, restored from the point, with
/// actor names of the new epoch (so that no message of an old core can reach a new one), and wired;</item>
/// <item>replay: the driver rolls back to the point, feeds the journaled input again and goes on; outputs already handed
/// out are not handed again.</item>
/// </list>
/// A node lost while this is under way starts the re-placement again from the same point. Where nothing can take the lost
/// cores, or recovery is off, the deployment ends with an error naming what was lost.
/// </summary>
internal sealed class MeshDeployer : ReceiveActor
{
    private enum Phase { Deploying, Running, Suspending, Rehosting }

    private readonly CompiledMesh _mesh;
    private readonly TaskCompletionSource<IActorRef> _ready;
    private readonly MeshRunOptions _options;
    private readonly RecoverySettings _recovery;
    private readonly RecoveryLog _log;
    private readonly MeshPlan _plan;
    private readonly IActorRef _driver;
    private readonly string _baseRunId;
    private readonly Address _self;
    private readonly ImmutableArray<(int X, int Y)> _chips;     // per core: its chip (a chip's cores move together)
    // The cores of the current epoch: their refs (null until a remote node reports one), setups, nodes and remote hosts.
    private IActorRef[] _cores;
    private CoreSetup[] _setups;
    private Address[] _nodes;                                    // per core: the node it runs on (this one's own address when here)
    private readonly HashSet<Address> _remoteNodes = [];
    private readonly HashSet<Address> _wiredNodes = [];               // the remote nodes that have wired their cores this epoch
    private CoreSetup[] _deployed = [];                               // the setups as first deployed: a recovery before the first point starts from them
    private readonly Dictionary<IActorRef, Address> _nodeRuns = []; // each remote node's host, watched
    private IActorRef[] _inbox = [];
    private int _epoch, _hosted, _wired;
    private Phase _phase = Phase.Deploying;
    private bool _failed;
    private ICancelable? _deployTimeout;
    // Recovery: where cores may go, what was lost (in this recovery and before), the point, and the timings.
    private readonly List<Address> _candidates = [];
    private readonly HashSet<Address> _gone = [];
    private readonly List<LostNode> _lost = [];
    private RecoveryPoint? _point;
    private long _fromStep;
    private DateTimeOffset _detectedAt;
    private TimeSpan _replacement;
    private readonly Stopwatch _restore = new();
    private ImmutableArray<int> _moved = [];

    private string RunId => _epoch == 0 ? _baseRunId : $"{_baseRunId}-e{_epoch}";

    public MeshDeployer(CompiledMesh mesh, DeploymentOptions options, TaskCompletionSource<IActorRef> ready, RecoveryLog log)
    {
        _mesh = mesh;
        _ready = ready;
        _log = log;
        _baseRunId = Self.Path.Name;
        _options = options.Run;
        _self = CoreAssignment.SelfAddress(Context.System);
        _chips = [.. mesh.Routed.Placed.Placements.Select(p => (p.Core.ChipX, p.Core.ChipY))];
        Receive<CoreHosted>(OnHosted);
        Receive<CoresWired>(w =>
        {
            if (w.RunId != RunId || !_nodeRuns.TryGetValue(Sender, out var node) || !_wiredNodes.Add(node)) return;
            if (++_wired == _remoteNodes.Count) Start();
        });
        Receive<CoreFailed>(f => { if (f.RunId == RunId) Fail(new InvalidOperationException($"a core failed on node {f.Node}: {f.Error}")); });
        Receive<DeployTimedOut>(t => { if (t.Epoch == _epoch) OnDeployTimeout(_options.DeployTimeout); });
        Receive<ClusterEvent.CurrentClusterState>(OnClusterState);
        Receive<ClusterEvent.IMemberEvent>(OnMemberEvent);
        Receive<ClusterEvent.IReachabilityEvent>(e => { if (e is ClusterEvent.UnreachableMember u) NodeLost(u.Member.Address, "became unreachable"); });
        Receive<Terminated>(OnTerminated);
        Receive<WireLocal>(w => { if (w.Epoch == _epoch) Wire(); });
        Receive<Suspended>(OnSuspended);

        // Whatever fails while deploying fails the deployment's task, rather than leaving its caller waiting.
        try
        {
            _plan = MeshPlan.For(mesh);
            var net = mesh.Network;
            int output = net.Populations.IndexOf(net.Population(net.Output.Population));
            var placements = mesh.Routed.Placed.Placements;
            var restore = options.Restore;
            if (restore is not null && restore.Cores.Length != placements.Length)
                throw new ArgumentException($"the snapshot holds {restore.Cores.Length} cores; the mesh has {placements.Length}");
            _nodes = NodesOfCores(mesh, _options);
            // Recovery points only where there is something to lose: cores on other nodes.
            bool remote = _nodes.Any(n => !n.Equals(_self));
            _recovery = remote ? RecoverySettings.For(Context.System, _options) : new RecoverySettings(0);
            var settings = StepProtocolSettings.From(Context.System);
            _driver = Context.ActorOf(Props.Create(() => new StepDriver(options.Slots, net.Input.Dimensions, net.Populations[output].Size, placements.Length,
                settings, options.RecordCounts, restore == null ? ImmutableArray<StreamPosition>.Empty : restore.Streams, _recovery, log)), "driver");
            _setups = new CoreSetup[placements.Length];
            for (int k = 0; k < placements.Length; k++)
            {
                var core = _plan.Cores[k];
                _setups[k] = new CoreSetup(k, core.Population, core.Start, core.Count, options.Slots, options.RecordCounts, core.Population == output,
                    !core.Incoming.Any(c => !c.OneStep), settings.ProgressInterval, core.Incoming, _driver, restore?.Cores[k], 0, null);
            }
            _deployed = _setups;
            _cores = new IActorRef[placements.Length];
            foreach (var n in _options.Nodes) if (!_candidates.Contains(n)) _candidates.Add(n);
            Host();
            if (_remoteNodes.Count > 0 && Context.System is ExtendedActorSystem { Provider: ClusterActorRefProvider })
                Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                    typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        }
        catch (Exception e)
        {
            ready.TrySetException(e);
            throw;
        }
    }

    /// <summary>Hosts every core of the current epoch where <see cref="_nodes"/> puts it: here directly, elsewhere through the node's mesh-node actor.</summary>
    private void Host()
    {
        var net = _mesh.Network;
        _hosted = _wired = 0;
        _remoteNodes.Clear();
        _wiredNodes.Clear();
        for (int k = 0; k < _setups.Length; k++)
        {
            var setup = _setups[k];
            var population = net.Populations[setup.Population];
            if (!_nodes[k].Equals(_self))
            {
                _remoteNodes.Add(_nodes[k]);
                Context.ActorSelection(new RootActorPath(_nodes[k]) / "user" / CoreAssignment.NodeActorName).Tell(new HostCore(RunId, setup, population));
                continue;
            }
            var name = _epoch == 0 ? $"core-{k}" : $"core-{k}-e{_epoch}";
            _cores[k] = Context.ActorOf(MeshRuntime.OnMeshDispatcher(Context.System, Props.Create(() => new CoreActor(setup, population))), name);
            Context.Watch(_cores[k]);
            _hosted++;
        }
        if (_remoteNodes.Count == 0)
        {
            Self.Tell(new WireLocal(_epoch));
            return;
        }
        // Remote cores: wait for every node to host and wire its cores; one that does not is lost (or ends a first deployment).
        _deployTimeout = Context.System.Scheduler.ScheduleTellOnceCancelable(_options.DeployTimeout, Self, new DeployTimedOut(_epoch), Self);
    }

    /// <summary>
    /// Sends every core its destinations: directly to the cores here, through their run host to each remote
    /// node's. A destination is the core itself, or with a delivery shuffle the shuffler in front of it (made
    /// here, once every core's ref is known); the wiring itself goes straight to the core, so that it knows its
    /// destinations before any payload reaches it.
    /// </summary>
    private void Wire()
    {
        var cores = _cores;
        _inbox = _options.Shuffle is { } shuffle
            ? [.. cores.Select((core, k) => Context.ActorOf(Props.Create(() => new ShuffledDelivery(core, shuffle, k)), _epoch == 0 ? $"shuffle-{k}" : $"shuffle-{k}-e{_epoch}"))]
            : cores;
        var remote = new Dictionary<Address, (List<int> Cores, List<Wire> Wires)>();
        for (int k = 0; k < cores.Length; k++)
        {
            var destinations = _plan.Cores[k].Destinations;
            var wire = new Wire([.. destinations.Select(d => _inbox[d])], destinations, _plan.Cores[k].Lookup);
            if (!_nodes[k].Equals(_self))
            {
                if (!remote.TryGetValue(_nodes[k], out var w)) remote[_nodes[k]] = w = ([], []);
                w.Cores.Add(k);
                w.Wires.Add(wire);
                continue;
            }
            cores[k].Tell(wire);
        }
        if (remote.Count == 0) { Start(); return; }
        foreach (var (host, node) in _nodeRuns)
            if (remote.TryGetValue(node, out var w)) host.Tell(new WireCores(RunId, [.. w.Cores], [.. w.Wires]));
    }

    /// <summary>
    /// Once every core is wired: the driver starts (it feeds the cores the input feeds, or their shufflers, and tells the
    /// others of each step), or after a recovery rolls back to the point and replays.
    /// </summary>
    private void Start()
    {
        if (_phase is Phase.Running || _failed) return;
        _deployTimeout?.Cancel();
        var start = new DriverStart([.. _cores], [.. _plan.FedByInput.Select(k => _inbox[k])],
            [.. Enumerable.Range(0, _cores.Length).Where(k => _setups[k].NeedsStart).Select(k => _inbox[k])],
            [.. _setups.Select(x => x.Population)]);
        if (_phase is Phase.Deploying)
        {
            _phase = Phase.Running;
            _driver.Tell(start);
            _ready.TrySetResult(_driver);
            return;
        }
        _restore.Stop();
        _phase = Phase.Running;
        ImmutableArray<LostNode> lostNow = [.. _lost];
        var recovery = new PendingRecovery(lostNow, _fromStep, _moved, [.. _nodes], _detectedAt, _replacement, _restore.Elapsed);
        _lost.Clear();
        Context.GetLogger().Warning("recovered: {0}; every core restarts from the recovery point after mesh step {1}, core(s) {2} moved",
            string.Join("; ", lostNow.Select(l => $"node {l.Node} {l.Reason}")), _fromStep, Replacement.Ranges(_moved));
        _moved = [];
        _driver.Tell(new ResumeFromPoint(start, recovery));
    }

    /// <summary>Per core: its node (this system's own address for the cores that run here: no nodes, or the node is this system).</summary>
    private Address[] NodesOfCores(CompiledMesh mesh, MeshRunOptions options)
    {
        int count = mesh.Routed.Placed.Placements.Length;
        var result = new Address[count];
        if (options.IsLocal)
        {
            Array.Fill(result, _self);
            return result;
        }
        var assigned = CoreAssignment.Assign(mesh, options.Nodes.Length, options.Assignment);
        for (int k = 0; k < count; k++) result[k] = options.Nodes[assigned[k]];
        if (options.MaxCoresPerNode > 0 && result.GroupBy(n => n).FirstOrDefault(g => g.Count() > options.MaxCoresPerNode) is { } over)
            throw new ArgumentException($"node {over.Key} would run {over.Count()} cores; at most {options.MaxCoresPerNode} per node (maxCoresPerNode)");
        return result;
    }

    private void OnHosted(CoreHosted h)
    {
        if (h.RunId != RunId)
        {
            // A host of an epoch replaced before it answered: it has no part in the run.
            if (h.RunId.StartsWith(_baseRunId, StringComparison.Ordinal)) Sender.Tell(new EndRun(h.RunId));
            return;
        }
        if (_cores[h.Core] is not null || _nodes[h.Core].Equals(_self)) return;
        _cores[h.Core] = h.CoreRef;
        if (!_nodeRuns.ContainsKey(Sender))
        {
            _nodeRuns[Sender] = _nodes[h.Core];
            Context.Watch(Sender);
        }
        if (++_hosted == _cores.Length) Wire();
    }

    private void OnDeployTimeout(TimeSpan timeout)
    {
        if (_phase is Phase.Running or Phase.Suspending) return;
        var hosting = _nodeRuns.Values.ToHashSet();
        var silent = _remoteNodes.Where(n => !hosting.Contains(n)).ToList();
        if (_phase is Phase.Rehosting)
        {
            // During a recovery a node that does not host its cores in time is lost too.
            var late = silent.Count > 0 ? silent : [.. _remoteNodes.Where(n => !_wiredNodes.Contains(n))];
            foreach (var n in late) NodeLost(n, $"did not host and wire its cores within {timeout.TotalSeconds:0.#} s");
            return;
        }
        Fail(silent.Count > 0
            ? $"node(s) {string.Join(", ", silent)} did not host their cores within {timeout.TotalSeconds:0.#} s (is `hybridspike node` running there?)"
            : $"the nodes did not wire their cores within {timeout.TotalSeconds:0.#} s");
    }

    private void OnClusterState(ClusterEvent.CurrentClusterState state)
    {
        foreach (var node in _remoteNodes.ToList())
        {
            var member = state.Members.FirstOrDefault(m => m.Address.Equals(node));
            if (member is null || member.Status != MemberStatus.Up) { NodeLost(node, member is null ? "is not a member of the cluster" : $"is {member.Status}, not Up"); return; }
            if (state.Unreachable.Any(m => m.Address.Equals(node))) { NodeLost(node, "is unreachable"); return; }
        }
        // Mesh nodes up beside the run's own may take cores when one of those is lost, after them, in address order.
        foreach (var m in state.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole(ClusterMesh.Role)).Select(m => m.Address).Order(AddressOrder.Instance))
            if (!_candidates.Contains(m) && !state.Unreachable.Any(u => u.Address.Equals(m))) _candidates.Add(m);
    }

    private void OnMemberEvent(ClusterEvent.IMemberEvent e)
    {
        switch (e)
        {
            case ClusterEvent.MemberUp up when up.Member.HasRole(ClusterMesh.Role):
                // A node that joins during the run (or one lost before, started again at its address) does not disturb it:
                // it takes cores at the next re-placement.
                _gone.Remove(up.Member.Address);
                if (!_candidates.Contains(up.Member.Address)) _candidates.Add(up.Member.Address);
                break;
            case ClusterEvent.MemberLeft or ClusterEvent.MemberExited: NodeLost(e.Member.Address, "left the cluster"); break;
            case ClusterEvent.MemberDowned: NodeLost(e.Member.Address, "was downed"); break;
            case ClusterEvent.MemberRemoved: NodeLost(e.Member.Address, "was removed from the cluster"); break;
        }
    }

    /// <summary>A node is gone: recover from it if it runs cores of this epoch (or fail, where recovery is off or the mesh is not up yet).</summary>
    private void NodeLost(Address node, string what)
    {
        if (_failed || node.Equals(_self) || _gone.Contains(node)) return;
        bool runsCores = _remoteNodes.Contains(node);
        if (!runsCores)
        {
            // A spare, or a node that ran cores before the last re-placement: it takes no cores from now on.
            if (_candidates.Remove(node) && _phase is not Phase.Deploying) _gone.Add(node);
            return;
        }
        if (!_recovery.Enabled || _phase is Phase.Deploying)
        {
            Fail($"node {node} {what} during the run; its cores are gone" + (_phase is Phase.Deploying ? "" : " (recovery is off: hybridspike.mesh.recovery.snapshot-interval = 0)"));
            return;
        }
        _gone.Add(node);
        _candidates.Remove(node);
        _lost.Add(new LostNode(node, what));
        switch (_phase)
        {
            case Phase.Running:
                _phase = Phase.Suspending;
                _detectedAt = DateTimeOffset.UtcNow;
                _driver.Tell(Suspend.Instance);
                break;
            case Phase.Rehosting:
                // Lost again before the cores were back: place them again, from the same point.
                Rehost();
                break;
        }
    }

    private void OnSuspended(Suspended s)
    {
        if (_failed || _phase is not Phase.Suspending) return;
        _point = s.Point;
        _fromStep = s.Point?.Step ?? -1;
        Rehost();
    }

    /// <summary>Stops the current epoch's cores, places them again without the lost nodes and hosts every one from the recovery point.</summary>
    private void Rehost()
    {
        _phase = Phase.Rehosting;
        _restore.Restart();
        var clock = Stopwatch.StartNew();
        var before = _nodes;
        ImmutableArray<Address> placed;
        try { placed = Replacement.Replace([.. _nodes], _chips, _gone, [.. _candidates.Append(_self).Distinct()], _options.MaxCoresPerNode); }
        catch (MeshClusterException e)
        {
            Fail(e);
            return;
        }
        _replacement = clock.Elapsed;
        _moved = [.. _moved.Concat(Enumerable.Range(0, before.Length).Where(k => !before[k].Equals(placed[k]))).Distinct().Order()];
        // The old epoch goes: its cores here, and each remote node's host with its cores.
        _deployTimeout?.Cancel();
        foreach (var core in _cores.Where((c, k) => c is not null && before[k].Equals(_self)))
        {
            Context.Unwatch(core);
            Context.Stop(core);
        }
        if (!ReferenceEquals(_inbox, _cores)) foreach (var shuffler in _inbox) Context.Stop(shuffler);
        foreach (var host in _nodeRuns.Keys)
        {
            Context.Unwatch(host);
            host.Tell(new EndRun(RunId));
        }
        _nodeRuns.Clear();
        _epoch++;
        _nodes = [.. placed];
        _setups = _point is { } point
            ? [.. _setups.Select((s, k) => s with { Restore = point.Cores[k], FirstStep = point.Step + 1, Counters = point.Counters[k] })]
            : _deployed;
        _cores = new IActorRef[_setups.Length];
        _inbox = [];
        Host();
    }

    private void OnTerminated(Terminated t)
    {
        // A resident core stops only with its deployment; a remote node's host only when told (EndRun) or when its node
        // goes. Either, while the deployment lives, is a lost node or the end of the deployment.
        if (_failed) return;
        if (_nodeRuns.Remove(t.ActorRef, out var node))
            NodeLost(node, t.AddressTerminated ? "left the cluster or died while the mesh ran" : "stopped hosting its cores while the mesh ran");
        else if (Array.IndexOf(_cores, t.ActorRef) is var k and >= 0)
            Fail(new InvalidOperationException($"core {k} stopped while the mesh ran"));
    }

    private void Fail(string error) => Fail(new MeshClusterException(error));

    /// <summary>
    /// Ends the deployment with <paramref name="error"/>: the driver ends every stream with it, the cores stop. The
    /// deployer itself stays until disposed, so that the error reaches every stream before anything stops.
    /// </summary>
    private void Fail(Exception error)
    {
        if (_failed) return;
        _failed = true;
        _ready.TrySetException(error);
        _driver.Tell(new DriverFailed(error));
        for (int k = 0; k < _cores.Length; k++)
            if (_nodes[k].Equals(_self) && _cores[k] is { } core) Context.Stop(core);
        EndRemote();
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        Fail(new InvalidOperationException($"a core failed: {e.Message}", e));
        return Directive.Stop;
    });

    private void EndRemote()
    {
        foreach (var host in _nodeRuns.Keys) host.Tell(new EndRun(RunId));
        _nodeRuns.Clear();
    }

    protected override void PostStop()
    {
        _ready.TrySetException(new InvalidOperationException("the mesh deployment stopped before its cores were wired"));
        _deployTimeout?.Cancel();
        EndRemote();
        if (Context.System is ExtendedActorSystem { Provider: ClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    /// <summary>Every core of epoch <paramref name="Epoch"/> is here: wire them (once the constructor has set every field).</summary>
    private sealed record WireLocal(int Epoch);

    private sealed record DeployTimedOut(int Epoch);
}
