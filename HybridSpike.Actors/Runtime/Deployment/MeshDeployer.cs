using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using HybridSpike.Mapping.Compile;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Actors.Runtime.Protocol;
using HybridSpike.Actors.Runtime.Session;

namespace HybridSpike.Actors.Runtime.Deployment;

/// <summary>
/// The deployment of one compiled mesh, its one job: it hosts the cores once (here, or on the cluster nodes its
/// options name), wires them, starts the step driver and watches them for as long as the deployment lives. Any
/// core that fails, and any node that does not answer, stops its cores, leaves, dies or becomes unreachable, ends
/// the deployment with that error: its streams end with it, none hangs. Remote cores get their weights once, at
/// deployment, never per stream.
/// </summary>
internal sealed class MeshDeployer : ReceiveActor
{
    private readonly CompiledMesh _mesh;
    private readonly TaskCompletionSource<IActorRef> _ready;
    // Where the cores are: their refs (null until a remote node reports one), setups, and the deployment's remote hosts.
    private readonly IActorRef[] _cores;
    private readonly CoreSetup[] _setups;
    private readonly string _runId;
    private readonly Address?[] _nodeOf;                         // per core: its remote node, null = here
    private readonly HashSet<Address> _remoteNodes = [];
    private readonly Dictionary<IActorRef, Address> _nodeRuns = []; // each remote node's host, watched
    private int _hosted, _wired;
    private bool _started, _failed;
    private ICancelable? _deployTimeout;
    private readonly MeshRunOptions _options;
    private readonly MeshPlan _plan;
    private readonly IActorRef _driver;

    public MeshDeployer(CompiledMesh mesh, DeploymentOptions options, TaskCompletionSource<IActorRef> ready)
    {
        _mesh = mesh;
        _ready = ready;
        _runId = Self.Path.Name;
        _options = options.Run;
        Receive<CoreHosted>(OnHosted);
        Receive<CoresWired>(_ => { if (++_wired == _remoteNodes.Count) Start(); });
        Receive<CoreFailed>(f => Fail(new InvalidOperationException($"a core failed on node {f.Node}: {f.Error}")));
        Receive<DeployTimedOut>(_ => OnDeployTimeout(_options.DeployTimeout));
        Receive<ClusterEvent.CurrentClusterState>(OnClusterState);
        Receive<ClusterEvent.IMemberEvent>(OnMemberEvent);
        Receive<ClusterEvent.IReachabilityEvent>(e => { if (e is ClusterEvent.UnreachableMember u) NodeLost(u.Member.Address, "became unreachable"); });
        Receive<Terminated>(OnTerminated);
        Receive<WireLocal>(_ => Wire());

        // Whatever fails while deploying fails the deployment's task, rather than leaving its caller waiting.
        try { (_plan, _driver, _cores, _setups, _nodeOf) = Deploy(options); }
        catch (Exception e)
        {
            ready.TrySetException(e);
            throw;
        }
    }

    private (MeshPlan, IActorRef, IActorRef[], CoreSetup[], Address?[]) Deploy(DeploymentOptions options)
    {
        var mesh = _mesh;
        var net = mesh.Network;
        int output = net.Populations.IndexOf(net.Population(net.Output.Population));
        var plan = MeshPlan.For(mesh);
        var placements = mesh.Routed.Placed.Placements;
        var settings = StepProtocolSettings.From(Context.System);
        var restore = options.Restore;
        if (restore is not null && restore.Cores.Length != placements.Length)
            throw new ArgumentException($"the snapshot holds {restore.Cores.Length} cores; the mesh has {placements.Length}");
        var driver = Context.ActorOf(Props.Create(() => new StepDriver(options.Slots, net.Input.Dimensions, net.Populations[output].Size, placements.Length,
            settings, options.RecordCounts, restore == null ? ImmutableArray<StreamPosition>.Empty : restore.Streams)), "driver");
        // Create the cores first (destinations need their refs), then wire each.
        var cores = new IActorRef[placements.Length];
        var setups = new CoreSetup[placements.Length];
        var nodeOf = NodesOfCores(mesh, _options);
        for (int k = 0; k < placements.Length; k++)
        {
            var core = plan.Cores[k];
            setups[k] = new CoreSetup(k, core.Population, core.Start, core.Count, options.Slots, options.RecordCounts, core.Population == output,
                !core.Incoming.Any(c => !c.OneStep), settings.ProgressInterval, core.Incoming, driver, restore?.Cores[k]);
        }
        for (int k = 0; k < placements.Length; k++)
        {
            var setup = setups[k];
            var population = net.Populations[setup.Population];
            if (nodeOf[k] is { } node)
            {
                _remoteNodes.Add(node);
                Context.ActorSelection(new RootActorPath(node) / "user" / CoreAssignment.NodeActorName).Tell(new HostCore(_runId, setup, population));
                continue;
            }
            cores[k] = Context.ActorOf(MeshRuntime.OnMeshDispatcher(Context.System, Props.Create(() => new CoreActor(setup, population))), $"core-{k}");
            Context.Watch(cores[k]);
            _hosted++;
        }
        if (_remoteNodes.Count == 0)
        {
            Self.Tell(WireLocal.Instance);
            return (plan, driver, cores, setups, nodeOf);
        }
        // Remote cores: wait for every node to host and wire its cores, and end the deployment if a node goes.
        _deployTimeout = Context.System.Scheduler.ScheduleTellOnceCancelable(_options.DeployTimeout, Self, DeployTimedOut.Instance, Self);
        if (Context.System is ExtendedActorSystem { Provider: ClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        return (plan, driver, cores, setups, nodeOf);
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
            var wire = new Wire([.. destinations.Select(d => _inbox[d])], destinations, _plan.Cores[k].Lookup);
            if (_nodeOf[k] is { } node)
            {
                if (!remote.TryGetValue(node, out var w)) remote[node] = w = ([], []);
                w.Cores.Add(k);
                w.Wires.Add(wire);
                continue;
            }
            cores[k].Tell(wire);
        }
        if (remote.Count == 0) { Start(); return; }
        foreach (var (host, node) in _nodeRuns)
            if (remote.TryGetValue(node, out var w)) host.Tell(new WireCores(_runId, [.. w.Cores], [.. w.Wires]));
    }

    private IActorRef[] _inbox = [];

    /// <summary>Once every core is wired: the driver starts (it feeds the cores the input feeds, or their shufflers, and tells the others of each step).</summary>
    private void Start()
    {
        if (_started) return;
        _started = true;
        _deployTimeout?.Cancel();
        _driver.Tell(new DriverStart([.. _cores], [.. _plan.FedByInput.Select(k => _inbox[k])],
            [.. Enumerable.Range(0, _cores.Length).Where(k => _setups[k].NeedsStart).Select(k => _inbox[k])],
            [.. _setups.Select(x => x.Population)]));
        _ready.TrySetResult(_driver);
    }

    /// <summary>Per core: the remote node it runs on, or null when it runs here (no nodes, or the node is this system).</summary>
    private Address?[] NodesOfCores(CompiledMesh mesh, MeshRunOptions options)
    {
        var result = new Address?[mesh.Routed.Placed.Placements.Length];
        if (options.IsLocal) return result;
        var self = CoreAssignment.SelfAddress(Context.System);
        var assigned = CoreAssignment.Assign(mesh, options.Nodes.Length, options.Assignment);
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
        if (_started) return;
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
        // A resident core stops only with its deployment; a remote node's host only when told (EndRun) or when its node
        // goes. Either, while the deployment lives, is the end of the deployment.
        if (_failed) return;
        if (_nodeRuns.TryGetValue(t.ActorRef, out var node))
            Fail(t.AddressTerminated ? $"node {node} left the cluster or died while the mesh ran" : $"node {node} stopped hosting its cores while the mesh ran");
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
            if (_nodeOf[k] is null && _cores[k] is { } core) Context.Stop(core);
        EndRemote();
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        Fail(new InvalidOperationException($"a core failed: {e.Message}", e));
        return Directive.Stop;
    });

    private void EndRemote()
    {
        foreach (var host in _nodeRuns.Keys) host.Tell(new EndRun(_runId));
        _nodeRuns.Clear();
    }

    protected override void PostStop()
    {
        _ready.TrySetException(new InvalidOperationException("the mesh deployment stopped before its cores were wired"));
        _deployTimeout?.Cancel();
        if (_remoteNodes.Count == 0) return;
        EndRemote();
        if (Context.System is ExtendedActorSystem { Provider: ClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    /// <summary>Every core is here: wire them (once the constructor has set every field).</summary>
    private sealed class WireLocal
    {
        public static readonly WireLocal Instance = new();
    }

    private sealed class DeployTimedOut
    {
        public static readonly DeployTimedOut Instance = new();
    }
}

