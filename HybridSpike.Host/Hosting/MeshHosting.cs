using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HybridSpike.Host.Hosting;

/// <summary>
/// The one place the Host builds an actor system: Microsoft.Extensions.Hosting with Akka.Hosting.
/// <see cref="AddMeshActorSystem(IServiceCollection, Config)"/> registers it on any service collection (a later <c>serve</c>
/// command adds it to ASP.NET Core's); <see cref="MeshHost"/> starts a host of its own for the CLI's
/// local mesh runs and cluster nodes.
/// </summary>
internal static class MeshHosting
{
    /// <summary>The actor-system name: every node of a mesh shares it (it is part of each seed address).</summary>
    public const string SystemName = ClusterNodeConfig.SystemName;

    /// <summary>
    /// HOCON of an actor system for a mesh run in this process: warnings only, on stderr (stdout is for results), no
    /// dead-letter logging, and the cores on dedicated threads, one per processor (MeshRuntime.DispatcherConfig says why).
    /// </summary>
    public static Config LocalConfig() =>
        ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off\n" + StandardErrorLogger.Hocon + "\n" + CommandOwnsSignals + "\n"
            + MeshRuntime.DispatcherConfig(Environment.ProcessorCount));

    /// <summary>
    /// HOCON of a cluster node (a node file over reference.conf). A coordinator's system
    /// (<paramref name="coordinator"/>) does not run the cluster's coordinated shutdown when it is
    /// terminated: its graceful leave is bounded instead (NodeService.LeaveAsync), so that a run
    /// that lost a node does not wait for the cluster's shutdown timeouts.
    /// </summary>
    public static Config ClusterConfig(ClusterNodeConfig settings, bool coordinator) =>
        coordinator
            ? ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off\n" + CommandOwnsSignals).WithFallback(settings.Config)
            : settings.Config;

    /// <summary>
    /// A run's signals are the command's (CtrlC): with Akka's own hook on, Ctrl-C or SIGTERM also shut the actor system
    /// down under the run, which then failed with what that broke (a stopped deployment; in a cluster, every other node
    /// "removed") before the command heard of the signal, and exited 69 or 70 instead of 130 or 143.
    /// </summary>
    private const string CommandOwnsSignals = "akka.coordinated-shutdown.run-by-clr-shutdown-hook = off";

    /// <summary>Registers the actor system <see cref="SystemName"/> with <paramref name="config"/> (Akka.Hosting).</summary>
    public static IServiceCollection AddMeshActorSystem(this IServiceCollection services, Config config) =>
        services.AddMeshActorSystem(SystemName, config, []);

    /// <summary>Registers the actor system <paramref name="name"/> with <paramref name="config"/> and <paramref name="setups"/> (a cluster node's TLS).</summary>
    public static IServiceCollection AddMeshActorSystem(this IServiceCollection services, string name, Config config, IEnumerable<Akka.Actor.Setup.Setup> setups) =>
        services.AddAkka(name, (builder, _) =>
        {
            builder.AddHocon(config, HoconAddMode.Prepend);
            foreach (var setup in setups) builder.AddSetup(setup);
        });
}

/// <summary>
/// A generic host holding only the actor system, for one CLI command. The command owns Ctrl-C and
/// SIGTERM (the host's console lifetime is replaced by one that does nothing), and stopping is the
/// command's too: <see cref="Dispose"/> stops the system at once, after whatever graceful
/// leave the command ran.
/// </summary>
internal sealed class MeshHost : IAsyncDisposable, IDisposable
{
    private readonly IHost _host;

    private MeshHost(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public ActorSystem System { get; }

    /// <summary>A started host whose actor system has <paramref name="config"/>.</summary>
    public static Task<MeshHost> StartAsync(Config config, CancellationToken cancel = default) =>
        StartAsync(MeshHosting.SystemName, config, [], cancel);

    private static async Task<MeshHost> StartAsync(string name, Config config, IReadOnlyList<Akka.Actor.Setup.Setup> setups, CancellationToken cancel)
    {
        var host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton<IHostLifetime, CommandLifetime>();
                services.AddMeshActorSystem(name, config, setups);
            })
            .Build();
        await Starting.WaitAsync(cancel);
        var stdout = Console.Out;
        try
        {
            // Akka.Hosting writes a failed start's whole exception, stack trace and all, to Console.Out (its issue 470:
            // "never silent"); the failure is not silent here, it is thrown to the command, which reports it in one line
            // on stderr (or in full as an internal error), and stdout is for results (--json).
            Console.SetOut(TextWriter.Null);
            await host.StartAsync(cancel);
            return new MeshHost(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        finally
        {
            Console.SetOut(stdout);
            Starting.Release();
        }
    }

    /// <summary>One host starts at a time, so that each puts back the Console.Out it found.</summary>
    private static readonly SemaphoreSlim Starting = new(1, 1);

    /// <summary>An actor system for mesh runs in this process (<see cref="MeshHosting.LocalConfig"/>).</summary>
    public static Task<MeshHost> StartLocalAsync(CancellationToken cancel = default) => StartAsync(MeshHosting.LocalConfig(), cancel);

    /// <summary>
    /// An actor system that joins the cluster of <paramref name="settings"/> (<see cref="MeshHosting.ClusterConfig"/>),
    /// once its address is known to be free. A start that fails anyway (a port taken in between, a setting Akka refuses)
    /// is reported in one line (<see cref="ClusterNodeConfig.StartFailure"/>), not as Akka's nested exceptions.
    /// </summary>
    public static async Task<MeshHost> StartClusterAsync(ClusterNodeConfig settings, bool coordinator, CancellationToken cancel = default)
    {
        settings.CheckCanListen();
        try
        {
            return await StartAsync(settings.Name, MeshHosting.ClusterConfig(settings, coordinator), settings.Setups, cancel);
        }
        catch (Exception e) when (settings.StartFailure(e) is var failure && failure != e)
        {
            throw failure;
        }
    }

    public void Dispose()
    {
        System.Dispose();
        _host.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A host lifetime that leaves signals and stopping to the command.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
