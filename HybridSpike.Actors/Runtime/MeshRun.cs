using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using HybridSpike.Actors.Cluster;
using HybridSpike.Mapping.Compile;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// One run of a compiled mesh: creates a core actor per placed piece, feeds the input, collects the
/// output (and the counts, when asked), and completes the run's task. Any core that fails ends the
/// run with that error: the run never hangs on a dead core.
/// With nodes in its options, the cores of other nodes are created there (HostCore to each node's
/// mesh-node actor), wired through the node (WireCores, acknowledged) and only then fed: a node that
/// does not answer, stops its cores, leaves, dies or becomes unreachable ends the run with an error.
/// </summary>
internal sealed class MeshRun : ReceiveActor
{
    private readonly CompiledMesh _mesh;
    private readonly TaskCompletionSource<(double[] Outputs, List<CoreCounts> Counts, List<Mapping.Telemetry.CoreTraffic> Traffic)> _done;
    private readonly List<Mapping.Telemetry.CoreTraffic> _traffic = [];
    private readonly int _coreCount;
    private readonly int _streams;
    private readonly int _outputSize;
    private readonly double[] _outputs;
    private readonly List<CoreCounts> _counts = [];
    private int _outputUnitsReceived;
    private int _countsExpected;
    // Where the cores are: their refs (null until a remote node reports one), setups, and the run's remote hosts.
    private readonly IActorRef[] _cores;
    private readonly CoreSetup[] _setups;
    private readonly ImmutableArray<double> _inputs;
    private readonly int _steps;
    private readonly string _runId;
    private readonly Address?[] _nodeOf;                         // per core: its remote node, null = here
    private readonly HashSet<Address> _remoteNodes = [];
    private readonly Dictionary<IActorRef, Address> _nodeRuns = []; // each remote node's run host, watched
    private int _hosted, _wired;
    private bool _feeding;
    private ICancelable? _deployTimeout;
    private readonly MeshRunOptions _options;
    private readonly MeshPlan _plan;
    private readonly IActorRef _input;

    public MeshRun(CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps, bool recordCounts,
        TaskCompletionSource<(double[] Outputs, List<CoreCounts> Counts, List<Mapping.Telemetry.CoreTraffic> Traffic)> done)
        : this(mesh, inputs, streams, steps, recordCounts, MeshRunOptions.Local, done)
    {
    }

    public MeshRun(CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps, bool recordCounts, MeshRunOptions options,
        TaskCompletionSource<(double[] Outputs, List<CoreCounts> Counts, List<Mapping.Telemetry.CoreTraffic> Traffic)> done)
    {
        _mesh = mesh;
        _done = done;
        _streams = streams;
        _inputs = inputs;
        _steps = steps;
        _runId = Self.Path.Name;
        _options = options;
        var net = mesh.Network;
        int output = net.Populations.IndexOf(net.Population(net.Output.Population));
        _outputSize = net.Populations[output].Size;
        _outputs = new double[streams * _outputSize];
        Receive<OutputActivity>(OnOutput);
        Receive<CoreCounts>(c => { _counts.Add(c); TryFinish(); });
        Receive<Mapping.Telemetry.CoreTraffic>(t => { _traffic.Add(t); TryFinish(); });
        Receive<CoreHosted>(OnHosted);
        Receive<CoresWired>(_ => { if (++_wired == _remoteNodes.Count) Feed(); });
        Receive<CoreFailed>(f => Fail(new InvalidOperationException($"a core failed on node {f.Node}: {f.Error}")));
        Receive<DeployTimedOut>(_ => OnDeployTimeout(options.DeployTimeout));
        Receive<ClusterEvent.CurrentClusterState>(OnClusterState);
        Receive<ClusterEvent.IMemberEvent>(OnMemberEvent);
        Receive<ClusterEvent.IReachabilityEvent>(e => { if (e is ClusterEvent.UnreachableMember u) NodeLost(u.Member.Address, "became unreachable"); });
        Receive<Terminated>(OnTerminated);

        var plan = _plan = MeshPlan.For(mesh);
        var placements = mesh.Routed.Placed.Placements;
        _coreCount = placements.Length;
        _input = Context.ActorOf(Props.Create(() => new InputActor(inputs, streams, steps, net.Input.Dimensions, placements.Length)), "input");
        // Create the cores first (destinations need their refs), then wire each.
        var cores = _cores = new IActorRef[placements.Length];
        var setups = _setups = new CoreSetup[placements.Length];
        _nodeOf = NodesOfCores(mesh, options);
        for (int k = 0; k < placements.Length; k++)
        {
            var core = plan.Cores[k];
            setups[k] = new CoreSetup(k, core.Population, core.Start, core.Count, streams, steps, recordCounts, core.Population == output, core.Incoming, Self, _input);
        }
        for (int k = 0; k < placements.Length; k++)
        {
            var setup = setups[k];
            var population = net.Populations[setup.Population];
            if (_nodeOf[k] is { } node)
            {
                _remoteNodes.Add(node);
                Context.ActorSelection(new RootActorPath(node) / "user" / ClusterMesh.NodeActorName).Tell(new HostCore(_runId, setup, population));
                continue;
            }
            cores[k] = Context.ActorOf(MeshRuntime.OnMeshDispatcher(Context.System, Props.Create(() => new CoreActor(setup, population))), $"core-{k}");
            Context.Watch(cores[k]);
            _hosted++;
        }
        if (_remoteNodes.Count == 0)
        {
            Wire();
            return;
        }
        // Remote cores: wait for every node to host and wire its cores, and end the run if a node goes.
        _deployTimeout = Context.System.Scheduler.ScheduleTellOnceCancelable(options.DeployTimeout, Self, DeployTimedOut.Instance, Self);
        if (Context.System is ExtendedActorSystem { Provider: ClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    /// <summary>
    /// Sends every core its destinations: directly to the cores here, through their run host to each remote
    /// node's. A destination is the core itself, or with a delivery shuffle the shuffler in front of it (made
    /// here, once every core's ref is known); the wiring itself goes straight to the core, so that it knows its
    /// destinations before any payload reaches it.
    /// </summary>
    private void Wire()
    {
        var placements = _mesh.Routed.Placed.Placements;
        var cores = _cores;
        _inbox = _options.Shuffle is { } shuffle
            ? [.. cores.Select((core, k) => Context.ActorOf(Props.Create(() => new ShuffledDelivery(core, shuffle, k)), $"shuffle-{k}"))]
            : cores;
        var remote = new Dictionary<Address, (List<int> Cores, List<Wire> Wires)>();
        for (int k = 0; k < placements.Length; k++)
        {
            var destinations = _plan.Cores[k].Destinations;
            var wire = new Wire([.. destinations.Select(d => _inbox[d])], destinations);
            if (_nodeOf[k] is { } node)
            {
                if (!remote.TryGetValue(node, out var w)) remote[node] = w = ([], []);
                w.Cores.Add(k);
                w.Wires.Add(wire);
                continue;
            }
            cores[k].Tell(wire);
        }
        if (remote.Count == 0) { Feed(); return; }
        foreach (var (host, node) in _nodeRuns)
            if (remote.TryGetValue(node, out var w)) host.Tell(new WireCores(_runId, [.. w.Cores], [.. w.Wires]));
    }

    private IActorRef[] _inbox = [];

    /// <summary>Once every core is wired: the input actor starts feeding (the cores the input feeds, or their shufflers).</summary>
    private void Feed()
    {
        if (_feeding) return;
        _feeding = true;
        _deployTimeout?.Cancel();
        var net = _mesh.Network;
        bool recordCounts = _setups.Length > 0 && _setups[0].RecordCounts;
        _countsExpected = recordCounts ? _steps * _mesh.Routed.Placed.Placements.Count(p => net.Population(p.Piece.Population).IsQuantized) : 0;
        _input.Tell(new StartInput([.. _plan.FedByInput.Select(k => _inbox[k])]));
    }

    /// <summary>Per core: the remote node it runs on, or null when it runs here (no nodes, or the node is this system).</summary>
    private Address?[] NodesOfCores(CompiledMesh mesh, MeshRunOptions options)
    {
        var result = new Address?[mesh.Routed.Placed.Placements.Length];
        if (options.IsLocal) return result;
        var self = ClusterMesh.SelfAddress(Context.System);
        var assigned = ClusterMesh.Assign(mesh, options.Nodes.Length, options.Assignment);
        for (int k = 0; k < result.Length; k++)
        {
            var node = options.Nodes[assigned[k]];
            result[k] = node.Equals(self) ? null : node;
        }
        return result;
    }

    private void OnHosted(CoreHosted h)
    {
        if (_cores[h.Core] is not null) return;
        _cores[h.Core] = h.CoreRef;
        var node = _nodeOf[h.Core]!;
        if (!_nodeRuns.ContainsKey(Sender))
        {
            _nodeRuns[Sender] = node;
            Context.Watch(Sender);
        }
        if (++_hosted == _cores.Length) Wire();
    }

    private void OnDeployTimeout(TimeSpan timeout)
    {
        if (_feeding) return;
        var hosting = _nodeRuns.Values.ToHashSet();
        var silent = _remoteNodes.Where(n => !hosting.Contains(n)).ToList();
        Fail(silent.Count > 0
            ? $"node(s) {string.Join(", ", silent)} did not host their cores within {timeout.TotalSeconds:0.#} s (is `hybridspike node` running there?)"
            : $"the nodes did not wire their cores within {timeout.TotalSeconds:0.#} s");
    }

    private void OnClusterState(ClusterEvent.CurrentClusterState state)
    {
        foreach (var node in _remoteNodes)
        {
            var member = state.Members.FirstOrDefault(m => m.Address.Equals(node));
            if (member is null || member.Status != MemberStatus.Up) { NodeLost(node, member is null ? "is not a member of the cluster" : $"is {member.Status}, not Up"); return; }
            if (state.Unreachable.Any(m => m.Address.Equals(node))) { NodeLost(node, "is unreachable"); return; }
        }
    }

    private void OnMemberEvent(ClusterEvent.IMemberEvent e)
    {
        switch (e)
        {
            case ClusterEvent.MemberLeft or ClusterEvent.MemberExited: NodeLost(e.Member.Address, "left the cluster"); break;
            case ClusterEvent.MemberDowned: NodeLost(e.Member.Address, "was downed"); break;
            case ClusterEvent.MemberRemoved: NodeLost(e.Member.Address, "was removed from the cluster"); break;
        }
    }

    private void NodeLost(Address node, string what)
    {
        if (_remoteNodes.Contains(node)) Fail($"node {node} {what} during the run; its cores are gone");
    }

    private void OnTerminated(Terminated t)
    {
        // A core here stops itself when it has sent its last step: nothing to do. A remote node's run host stops
        // only when told (EndRun) or when its node goes: before the run ends, that is the end of the run.
        if (_nodeRuns.TryGetValue(t.ActorRef, out var node))
            Fail(t.AddressTerminated ? $"node {node} left the cluster or died during the run" : $"node {node} stopped hosting its cores during the run");
    }

    private void Fail(string error) => Fail(new MeshClusterException(error));

    private void Fail(Exception error)
    {
        _done.TrySetException(error);
        Context.Stop(Self);
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _done.TrySetException(new InvalidOperationException($"a core failed: {e.Message}", e));
        Context.Stop(Self);
        return Directive.Stop;
    });

    private void OnOutput(OutputActivity a)
    {
        for (int s = 0; s < _streams; s++)
            for (int i = 0; i < a.Count; i++) _outputs[s * _outputSize + a.Start + i] = a.Values[s * a.Count + i];
        _outputUnitsReceived += a.Count;
        TryFinish();
    }

    private void TryFinish()
    {
        if (_outputUnitsReceived < _outputSize || _counts.Count < _countsExpected || _traffic.Count < _coreCount) return;
        _done.TrySetResult((_outputs, _counts, _traffic));
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        _done.TrySetException(new InvalidOperationException("the mesh run stopped before the output arrived"));
        _deployTimeout?.Cancel();
        if (_remoteNodes.Count == 0) return;
        foreach (var host in _nodeRuns.Keys) host.Tell(new EndRun(_runId));
        if (Context.System is ExtendedActorSystem { Provider: ClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private sealed class DeployTimedOut
    {
        public static readonly DeployTimedOut Instance = new();
    }
}

/// <summary>Tells a core where its payloads go (sent once, before the first step's input).</summary>
internal sealed record Wire(ImmutableArray<IActorRef> Destinations, ImmutableArray<int> DestinationCores);
