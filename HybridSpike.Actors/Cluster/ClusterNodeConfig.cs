using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Runtime.Deployment;

namespace HybridSpike.Actors.Cluster;

/// <summary>A mesh node's cluster settings, read once from a HOCON file over the defaults in reference.conf.</summary>
/// <param name="Name">The cluster's name (<c>hybridspike.cluster.name</c>): the actor system's, part of every node's address.</param>
/// <param name="Tls">TLS between the nodes (<c>hybridspike.cluster.tls</c>), or null when it is off.</param>
/// <param name="Config">The full Akka configuration (file over defaults).</param>
public sealed record ClusterNodeConfig(
    string Source,
    string Name,
    string Hostname,
    int Port,
    ImmutableArray<Address> SeedNodes,
    ImmutableArray<string> Roles,
    ClusterTls? Tls,
    Config Config)
{
    /// <summary>
    /// The default cluster name (reference.conf's <c>hybridspike.cluster.name</c>): the actor-system name every node of a
    /// mesh shares (it is part of each seed address). Two clusters on one network are kept apart by giving them two names.
    /// </summary>
    public const string SystemName = "hybridspike";

    /// <summary>The scheme of this node's addresses: <c>akka.ssl.tcp</c> with TLS (Akka.Remote names them so), else <c>akka.tcp</c>.</summary>
    public string Scheme => SchemeOf(Config);

    private static string SchemeOf(Config config) => config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false) ? "akka.ssl.tcp" : "akka.tcp";

    /// <summary>This node's own address.</summary>
    public Address Self => new(Scheme, Name, Hostname, Port);

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

    /// <summary>Reads a HOCON file; every error names the file and the key.</summary>
    public static ClusterNodeConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: cluster config file not found", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads HOCON text; <paramref name="source"/> names it in errors.</summary>
    public static ClusterNodeConfig Parse(string hocon, string source)
    {
        if (HoconSyntax.Problem(hocon) is { } problem) throw new InvalidDataException($"{source}: not valid HOCON: {problem}");
        Config parsed;
        try
        {
            parsed = ConfigurationFactory.ParseString(hocon);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source}: not valid HOCON: {e.Message}", e);
        }
        var config = parsed.WithFallback(Reference.Value);
        CheckKinds(parsed, config, source);
        return FromConfig(source, config);
    }

    /// <summary>The kinds of value a setting can have that Akka reads only as it starts, when a bad one failed deep in its startup.</summary>
    private enum Kind { Duration, Size, Number, Switch }

    /// <summary>Akka.Cluster's own defaults, which an actor system adds when it starts (the resolver's settings need them).</summary>
    private static readonly Lazy<Config> ClusterDefaults =
        new(() => ConfigurationFactory.FromResource<Akka.Cluster.Cluster>("Akka.Cluster.Configuration.Cluster.conf"));

    /// <summary>Akka's own defaults (Akka, Akka.Remote, Akka.Cluster): each setting's kind is that of Akka's value, not of reference.conf's choice.</summary>
    private static readonly Lazy<Config> AllDefaults = new(() => ClusterDefaults.Value
        .WithFallback(ConfigurationFactory.FromResource<Akka.Remote.RemoteActorRefProvider>("Akka.Remote.Configuration.Remote.conf"))
        .WithFallback(ConfigurationFactory.Default()));

    /// <summary>
    /// Every setting of the file whose default is a duration, a size or a number must be one too: Akka read a bad one
    /// only as the node started ("The input string 'soon' was not in a correct format", naming no setting). Lenient
    /// where Akka is (a duration may be infinite or off, a number fractional), so that no setting it takes is refused.
    /// </summary>
    private static void CheckKinds(Config file, Config config, string source)
    {
        foreach (var key in Leaves(file.Root, ""))
        {
            if (!AllDefaults.Value.HasPath(key) || KindOf(AllDefaults.Value, key) is not { } kind || Is(config, key, kind)) continue;
            var example = kind switch
            {
                Kind.Duration => "a duration (like 5s or 200ms)",
                Kind.Size => "a size (like 16 MiB, 512 kB or 128000b)",
                Kind.Switch => "on or off",
                _ => "a number",
            };
            throw new InvalidDataException($"{source}: {key} is '{config.GetString(key, "")}', not {example}");
        }
    }

    /// <summary>The paths of the plain values under <paramref name="value"/>; names that are not simple keys (type names in serialization-bindings) are not settings of a kind.</summary>
    private static IEnumerable<string> Leaves(Akka.Configuration.Hocon.HoconValue value, string path)
    {
        if (!value.IsObject())
        {
            if (path.Length > 0 && value.IsString()) yield return path;
            yield break;
        }
        foreach (var (name, child) in value.GetObject().Items)
        {
            if (name.Length == 0 || name.Any(c => c is '.' or '"' or ' ' or ',')) continue;
            foreach (var leaf in Leaves(child, path.Length == 0 ? name : $"{path}.{name}")) yield return leaf;
        }
    }

    private static Kind? KindOf(Config defaults, string key)
    {
        var text = defaults.GetString(key, "").Trim();
        if (Switches.Contains(text)) return Kind.Switch;
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)) return Kind.Number;
        if (!System.Text.RegularExpressions.Regex.IsMatch(text, @"^[0-9]+(\.[0-9]+)?\s*[A-Za-z]+$")) return null;
        if (Is(defaults, key, Kind.Size)) return Kind.Size;
        return Is(defaults, key, Kind.Duration) ? Kind.Duration : null;
    }

    /// <summary>How HOCON writes a boolean.</summary>
    private static readonly HashSet<string> Switches = ["on", "off", "true", "false", "yes", "no"];

    private static bool Is(Config config, string key, Kind kind)
    {
        var text = config.GetString(key, "").Trim();
        try
        {
            switch (kind)
            {
                case Kind.Switch:
                    // Some switches are durations or counts when on (shutdown-after-unsuccessful-join-seed-nodes = off or 20s).
                    return Switches.Contains(text) || (text.Length > 0 && char.IsAsciiDigit(text[0]));
                case Kind.Number:
                    // Some counts are switches too (log-dead-letters = 10 or off).
                    if (Switches.Contains(text) || text == "infinite") return true;
                    return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
                case Kind.Size:
                    return config.GetByteSize(key) is not null;
                default:
                    if (text is "off" or "infinite") return true;
                    _ = config.GetTimeSpan(key, null, allowInfinite: true);
                    return true;
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The same settings with another port (and, when the node is its own only seed, that seed moved too).</summary>
    public ClusterNodeConfig WithPort(int port)
    {
        var seeds = SeedNodes is [var only] && only.Equals(Self) ? [new Address(Scheme, Name, Hostname, port)] : SeedNodes;
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

        // Akka.Remote has only TCP (udp is a setting it reads and then fails on as the node starts).
        var protocol = config.GetString("akka.remote.dot-netty.tcp.transport-protocol", "tcp");
        if (protocol != "tcp")
            throw new InvalidDataException($"{Key("akka.remote.dot-netty.tcp.transport-protocol")} is '{protocol}'; Akka's transport has only tcp");

        var hostname = config.GetString("akka.remote.dot-netty.tcp.hostname", "");
        if (string.IsNullOrWhiteSpace(hostname))
            throw new InvalidDataException($"{Key("akka.remote.dot-netty.tcp.hostname")} is empty");

        int port;
        try { port = config.GetInt("akka.remote.dot-netty.tcp.port"); }
        catch (Exception e) { throw new InvalidDataException($"{Key("akka.remote.dot-netty.tcp.port")} is not an integer ({e.Message})", e); }
        if (port is < 0 or > 65535)
            throw new InvalidDataException($"{Key("akka.remote.dot-netty.tcp.port")} is {port}, outside 0..65535");

        var name = config.GetString("hybridspike.cluster.name", SystemName);
        // Akka's rule for an actor system's name; a bad one failed as the node started, naming no setting.
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-zA-Z0-9][a-zA-Z0-9_-]*$"))
            throw new InvalidDataException($"{Key("hybridspike.cluster.name")} is '{name}'; a cluster name is letters, digits, '-' and '_', starting with a letter or digit");

        // TLS is ours to switch on (the certificate is loaded and checked now); Akka's transport then names the addresses akka.ssl.tcp.
        var tls = ClusterTls.Read(config, source);
        if (tls is not null) config = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = on").WithFallback(config);
        var scheme = SchemeOf(config);

        var seeds = ImmutableArray.CreateBuilder<Address>();
        foreach (var text in config.GetStringList("akka.cluster.seed-nodes") ?? [])
        {
            Address address;
            try { address = Address.Parse(text); }
            catch (Exception e) { throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")}: '{text}' is not an address like {scheme}://{name}@host:port ({e.Message})", e); }
            if (address.System != name)
                throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")}: '{text}' names cluster '{address.System}', this node's is '{name}' (hybridspike.cluster.name)");
            if (address.Protocol != scheme)
                throw new InvalidDataException(tls is not null || scheme == "akka.ssl.tcp"
                    ? $"{Key("akka.cluster.seed-nodes")}: '{text}' is a plain TCP address but this node speaks TLS; write it {scheme}://{name}@{address.Host}:{address.Port}"
                    : $"{Key("akka.cluster.seed-nodes")}: '{text}' is a TLS address but TLS is off on this node ({ClusterTls.Path}.enabled); write it {scheme}://{name}@{address.Host}:{address.Port}");
            if (address.Port is null or <= 0)
                throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")}: '{text}' needs a port");
            seeds.Add(address);
        }
        if (seeds.Count == 0)
            throw new InvalidDataException($"{Key("akka.cluster.seed-nodes")} is empty; list at least one seed (a single node lists itself)");

        var roles = (config.GetStringList("akka.cluster.roles") ?? []).ToImmutableArray();
        // A node without the role is never counted by WaitForNodesAsync: it would say it hosts cores and then a run
        // would time out waiting for it. A coordinator is one of the mesh nodes (--nodes counts it) and needs it too.
        if (!roles.Contains(ClusterMesh.Role))
            throw new InvalidDataException(
                $"{Key("akka.cluster.roles")} is [{string.Join(", ", roles)}]; a node that hosts mesh cores needs the role '{ClusterMesh.Role}' (e.g. roles = [{string.Join(", ", roles.Prepend(ClusterMesh.Role))}])");

        // Akka's floor for frames (Akka.Remote's reference.conf: "at least 32000 bytes"), checked when remoting starts.
        const string Frame = "akka.remote.dot-netty.tcp.maximum-frame-size";
        long? frame;
        try { frame = config.GetByteSize(Frame); }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException)
        {
            throw new InvalidDataException($"{Key(Frame)} is '{config.GetString(Frame, "")}', not a size (like 16 MiB, 512 kB or 128000b)", e);
        }
        if (frame < 32000) throw new InvalidDataException($"{Key(Frame)} is {frame} bytes; Akka needs at least 32000");

        CheckDowning(config, Key);
        return new ClusterNodeConfig(source, name, hostname, port, seeds.ToImmutable(), roles, tls, config);
    }

    /// <summary>
    /// The split-brain resolver's settings, read as Akka reads them when the cluster starts: a strategy it does not know
    /// made the node start, crash its cluster daemon and report that it left the cluster.
    /// </summary>
    private static void CheckDowning(Config config, Func<string, string> key)
    {
        var provider = config.GetString("akka.cluster.downing-provider-class", "");
        if (!provider.Contains("SplitBrainResolverProvider", StringComparison.Ordinal)) return;
        const string Strategy = "akka.cluster.split-brain-resolver.active-strategy";
        var strategy = config.GetString(Strategy, "");
        var known = Akka.Cluster.SBR.SplitBrainResolverSettings.AllStrategyNames.Order(StringComparer.Ordinal).ToArray();
        if (!known.Contains(strategy))
            throw new InvalidDataException($"{key(Strategy)} is '{strategy}'; Akka's split-brain resolver knows {string.Join(", ", known)}");
        try
        {
            var settings = new Akka.Cluster.SBR.SplitBrainResolverSettings(config.WithFallback(ClusterDefaults.Value));
            // Each strategy's own settings are read lazily, when the cluster first needs them: read the active one's now.
            _ = strategy switch
            {
                Akka.Cluster.SBR.SplitBrainResolverSettings.StaticQuorumName => settings.StaticQuorumSettings,
                Akka.Cluster.SBR.SplitBrainResolverSettings.KeepOldestName => settings.KeepOldestSettings,
                Akka.Cluster.SBR.SplitBrainResolverSettings.LeaseMajorityName => settings.LeaseMajoritySettings,
                _ => (object)settings,
            };
        }
        catch (Exception e) when (e is Akka.Configuration.ConfigurationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{key("akka.cluster.split-brain-resolver")}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks, just before the node starts, that it can listen where its file says: the hostname must resolve to an
    /// address of this machine (<see cref="InvalidDataException"/>: the file is wrong), and the port must be free
    /// (<see cref="MeshClusterException"/>: the file is right, the port is taken for now). Akka binds with SO_REUSEADDR,
    /// which .NET on Linux turns into SO_REUSEPORT as well, so a second node on a taken port used to start beside the
    /// first; this probe binds without it and is refused (reference.conf turns the option off for Akka's own bind too).
    /// </summary>
    public void CheckCanListen()
    {
        // A seed whose host does not resolve was only warned about, again and again, until the join timed out.
        foreach (var seed in SeedNodes)
            if (seed.Host is { } host && !IPAddress.TryParse(host, out _))
            {
                try { _ = Dns.GetHostAddresses(host); }
                catch (SocketException e) { throw new InvalidDataException($"{Source}: akka.cluster.seed-nodes: the host of '{seed}' does not resolve ({e.Message})", e); }
            }
        var address = Resolve();
        if (Port == 0) return;
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(address, Port));
            probe.Listen(1);
        }
        catch (SocketException e)
        {
            throw ListenFailure(e) ?? new MeshClusterException($"cannot listen on port {Port} on {Hostname} ({e.Message})");
        }
    }

    /// <summary>The first address of <see cref="Hostname"/>, IPv4 first (as Akka's transport binds it).</summary>
    private IPAddress Resolve()
    {
        if (IPAddress.TryParse(Hostname, out var literal)) return literal;
        IPAddress[] addresses;
        try { addresses = Dns.GetHostAddresses(Hostname); }
        catch (SocketException e) { throw new InvalidDataException($"{Source}: akka.remote.dot-netty.tcp.hostname '{Hostname}' does not resolve ({e.Message})", e); }
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new InvalidDataException($"{Source}: akka.remote.dot-netty.tcp.hostname '{Hostname}' resolves to no address");
    }

    /// <summary>The error to report for a failed bind, or null when the socket error is none of the known ones.</summary>
    private Exception? ListenFailure(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => new MeshClusterException(
            $"port {Port} on {Hostname} is in use (another node or program listens there); stop it, or give this node another port (node --port, or the file's akka.remote.dot-netty.tcp.port)"),
        SocketError.AddressNotAvailable => new InvalidDataException(
            $"{Source}: akka.remote.dot-netty.tcp.hostname '{Hostname}' is not an address of this machine; a node listens on one of its own addresses"),
        SocketError.AccessDenied => new InvalidDataException(
            $"{Source}: akka.remote.dot-netty.tcp.port {Port} on {Hostname} needs privileges; use a port above 1023"),
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => new InvalidDataException(
            $"{Source}: akka.remote.dot-netty.tcp.hostname '{Hostname}' does not resolve ({e.Message})"),
        _ => null,
    };

    /// <summary>
    /// What went wrong when this node's actor system failed to start, as one line: Akka wraps the cause (a bind that
    /// failed, a setting it could not read) in several layers of AggregateException. <paramref name="failure"/> itself
    /// when the cause is none of those (an internal error, reported in full).
    /// </summary>
    public Exception StartFailure(Exception failure)
    {
        var causes = Causes(failure).ToList();
        if (causes.OfType<SocketException>().FirstOrDefault() is { } s)
            return ListenFailure(s) ?? new MeshClusterException($"cannot listen on port {Port} on {Hostname} ({s.Message})");
        // The innermost is the one that names the setting ("Unknown downing strategy ..."), not its wrappers.
        if (causes.LastOrDefault(e => e is ConfigurationException or FormatException) is { } bad)
            return new InvalidDataException($"{Source}: Akka refused a setting: {bad.Message}", failure);
        // The transport's settings (akka.remote.dot-netty.tcp) are the file's: a transport that cannot start is its doing.
        if (causes.OfType<Akka.Remote.RemoteTransportException>().LastOrDefault() is { } transport)
            return new InvalidDataException($"{Source}: Akka's transport could not start: {Innermost(transport).Message}", failure);
        return failure;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    private static IEnumerable<Exception> Causes(Exception e)
    {
        yield return e;
        var inner = e is AggregateException a ? a.InnerExceptions : e.InnerException is { } i ? [i] : (IEnumerable<Exception>)[];
        foreach (var x in inner)
            foreach (var c in Causes(x))
                yield return c;
    }

    /// <summary>What an actor system of this node is started with besides its HOCON: Akka.Remote's TLS, when it is on.</summary>
    public ImmutableArray<Akka.Actor.Setup.Setup> Setups => Tls is { } tls ? [tls.Setup()] : [];

    /// <summary>Starts an actor system for this node; it joins the seeds on its own.</summary>
    public ActorSystem StartSystem() =>
        ActorSystem.Create(Name, Akka.Actor.Setup.ActorSystemSetup.Create([BootstrapSetup.Create().WithConfig(Config), .. Setups]));
}
