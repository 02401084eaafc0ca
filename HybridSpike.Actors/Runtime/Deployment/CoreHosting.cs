using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Core.Network;

namespace HybridSpike.Actors.Runtime.Deployment;

// The setup messages between a deployment's coordinator (MeshDeployer) and the nodes that host its cores.
// All cross nodes, so all are bound to the DeploymentSerializer (Serialization/) in reference.conf.

/// <summary>Coordinator → node: create this core for run <paramref name="RunId"/> (one message per core, so that no frame holds a whole mesh).</summary>
internal sealed record HostCore(string RunId, CoreSetup Setup, Population Population);

/// <summary>Node → coordinator: the core is created; the sender is the node's run host, which the coordinator watches.</summary>
internal sealed record CoreHosted(string RunId, int Core, IActorRef CoreRef);

/// <summary>Coordinator → node: the wiring of the node's cores (each core's destinations); the node answers <see cref="CoresWired"/>.</summary>
internal sealed record WireCores(string RunId, ImmutableArray<int> Cores, ImmutableArray<Wire> Wires);

/// <summary>Node → coordinator: every core of the node holds its <see cref="Wire"/>, so input may flow.</summary>
internal sealed record CoresWired(string RunId);

/// <summary>Node → coordinator: a hosted core threw; the run ends with this error.</summary>
internal sealed record CoreFailed(string RunId, string Node, string Error);

/// <summary>Coordinator → node: the run is over (done, failed or cancelled); stop its cores.</summary>
internal sealed record EndRun(string RunId);

/// <summary>
/// The actor every mesh node runs at <c>/user/mesh-node</c> (<see cref="CoreAssignment.NodeActorName"/>): its one job is
/// hosting cores for runs coordinated elsewhere. Per run it starts one <see cref="NodeRun"/>, which creates the run's
/// cores, wires them, reports their failures and stops them when the run ends or its coordinator goes away.
/// </summary>
internal sealed class MeshNode : ReceiveActor
{
    public MeshNode()
    {
        Receive<HostCore>(h =>
        {
            var name = "run-" + h.RunId;
            var run = Context.Child(name);
            // The coordinator is the deployment that sent it (HostCore goes out from the deployer's own context).
            var coordinator = Sender;
            if (run.IsNobody()) run = Context.ActorOf(Props.Create(() => new NodeRun(h.RunId, coordinator)), name);
            run.Forward(h);
        });
    }

    /// <summary>A run's cores never restart: a core that throws is stopped (its run host reports the error).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}

/// <summary>One run's cores on one node: created on <see cref="HostCore"/>, wired on <see cref="WireCores"/>, stopped with the run.</summary>
internal sealed class NodeRun : ReceiveActor
{
    private readonly string _runId;
    private readonly IActorRef _coordinator;
    private readonly Dictionary<int, IActorRef> _cores = [];

    public NodeRun(string runId, IActorRef coordinator)
    {
        _runId = runId;
        _coordinator = coordinator;
        Context.Watch(coordinator);
        Receive<HostCore>(h =>
        {
            var setup = h.Setup;
            var population = h.Population;
            var core = Context.ActorOf(MeshRuntime.OnMeshDispatcher(Context.System, Props.Create(() => new CoreActor(setup, population))), $"core-{setup.Core}");
            _cores[setup.Core] = core;
            _coordinator.Tell(new CoreHosted(_runId, setup.Core, core));
        });
        Receive<WireCores>(w =>
        {
            // Local tells enqueue at once: every core holds its wiring before the coordinator hears CoresWired
            // and sends the first input, so no payload can reach a core that does not yet know its destinations.
            for (int i = 0; i < w.Cores.Length; i++) _cores[w.Cores[i]].Tell(w.Wires[i]);
            Sender.Tell(new CoresWired(_runId));
        });
        Receive<EndRun>(_ => Context.Stop(Self));
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_coordinator)) Context.Stop(Self);
        });
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _coordinator.Tell(new CoreFailed(_runId, CoreAssignment.SelfAddress(Context.System).ToString(), e.Message));
        return Directive.Stop;
    });
}
