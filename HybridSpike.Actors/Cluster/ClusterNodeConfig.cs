using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;

namespace HybridSpike.Actors.Cluster;

/// <summary>A mesh node's cluster settings, read once from a HOCON file over the defaults in reference.conf.</summary>
/// <param name="Config">The full Akka configuration (file over defaults).</param>
public sealed record ClusterNodeConfig(
    string Source,
    string Hostname,
    int Port,
    ImmutableArray<Address> SeedNodes,
    ImmutableArray<string> Roles,
    Config Config)
{
    /// <summary>The actor-system name every node of a mesh shares (it is part of each seed address).</summary>
    public const string SystemName = "hybridspike";

    private static readonly Lazy<Config> Reference = new(() =>
    {
        using var stream = typeof(ClusterNodeConfig).Assembly.GetManifestResourceStream("HybridSpike.Actors.Cluster.reference.conf")
            ?? throw new InvalidOperationException("HybridSpike.Actors.Cluster.reference.conf is not embedded");
        using var reader = new StreamReader(stream);
        // The cores on dedicated threads, one per processor of this machine (MeshRuntime.DispatcherConfig says why);
        // a node's file may set its own hybridspike.mesh-dispatcher.
        return ConfigurationFactory.ParseString(reader.ReadToEnd())
            .WithFallback(ConfigurationFactory.ParseString(Runtime.MeshRuntime.DispatcherConfig(Environment.ProcessorCount)));
    });

    /// <summary>reference.conf as parsed (cluster provider, the mesh serializer, frame sizes, the mesh role).</summary>
    internal static Config ReferenceConfig => Reference.Value;

    /// <summary>The built-in defaults alone.</summary>
    public static ClusterNodeConfig Defaults() => FromConfig("reference.conf", Reference.Value);

    /// <summary>Reads a HOCON file; every error names the file and the key.</summary>
    public static ClusterNodeConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: cluster config file not found", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads HOCON text; <paramref name="source"/> names it in errors.</summary>
    public static ClusterNodeConfig Parse(string hocon, string source)
    {
        Config parsed;
        try
        {
            parsed = ConfigurationFactory.ParseString(hocon);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source}: not valid HOCON: {e.Message}", e);
        }
        return FromConfig(source, parsed.WithFallback(Reference.Value));
    }

    /// <summary>The same settings with another port (and, when the node is its own only seed, that seed moved too).</summary>
    public ClusterNodeConfig WithPort(int port)
    {
        var self = new Address("akka.tcp", SystemName, Hostname, Port);
        var seeds = SeedNodes is [var only] && only.Equals(self) ? [new Address("akka.tcp", SystemName, Hostname, port)] : SeedNodes;
        var overrides = ConfigurationFactory.ParseString(
            $"akka.remote.dot-netty.tcp.port = {port}\n" +
            $"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => $"\"{s}\""))}]");
        return FromConfig(Source, overrides.WithFallback(Config));
    }

    private static ClusterNodeConfig FromConfig(string source, Config config)
    {
        string Key(string key) => $"{source}: {key}";

        var provider = config.GetString("akka.actor.provider", "");
        if (!string.Equals(provider, "cluster", StringComparison.OrdinalIgnoreCase) && !provider.Contains("ClusterActorRefProvider"))
            throw new InvalidDataException($"{Key("akka.actor.provider")} is '{provider}'; a mesh node needs 'cluster'");

        var hostname = config.GetString("akka.remote.dot-netty.tcp.hostname", "");
        if (string.IsNullOrWhiteSpace(hostname))
            throw new InvalidDataException($"{Key("akka.remote.dot-netty.tcp.hostname")} is empty");

        int port;
        try { port = config.GetInt("akka.remote.dot-netty.tcp.port"); }
        catch (Exception e) { throw new InvalidDataException($"{Key("akka.remote.dot-netty.tcp.port")} is not an integer ({e.Message})", e); }
        if (port is < 0 or > 65535)
            throw new InvalidDataException($"{Key("akka.remote.dot-netty.tcp.port")} is {port}, outside 0..65535");

        var seeds = ImmutableArray.CreateBuilder<Address>();
        foreach (var text in config.GetStringList("akka.cluster.seed-nodes") ?? [])
        {
            Address address;
            try { address = Address.Parse(text); }
            catch (Exception e) { throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")}: '{text}' is not an address like akka.tcp://{SystemName}@host:port ({e.Message})", e); }
            if (address.System != SystemName)
                throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")}: '{text}' names system '{address.System}', every node's is '{SystemName}'");
            if (address.Port is null or <= 0)
                throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")}: '{text}' needs a port");
            seeds.Add(address);
        }
        if (seeds.Count == 0)
            throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")} is empty; list at least one seed (a single node lists itself)");

        var roles = (config.GetStringList("akka.cluster.roles") ?? []).ToImmutableArray();
        return new ClusterNodeConfig(source, hostname, port, seeds.ToImmutable(), roles, config);
    }

    /// <summary>Starts an actor system for this node; it joins the seeds on its own.</summary>
    public ActorSystem StartSystem() => ActorSystem.Create(SystemName, Config);
}
