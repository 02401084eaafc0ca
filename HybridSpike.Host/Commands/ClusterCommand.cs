using System.CommandLine;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike cluster up</c> was asked.</summary>
/// <param name="Nodes">Node processes to start.</param>
/// <param name="Dir">Where the node files, their logs and cluster.json go.</param>
/// <param name="BasePort">The first node's port; node K listens on BasePort + K - 1, the coordinator's file on BasePort + Nodes.</param>
/// <param name="JoinTimeout">How long to wait for every node's <c>joined:</c> line before stopping them all.</param>
internal sealed record ClusterUpRequest(int Nodes, string Dir, int BasePort, TimeSpan JoinTimeout, bool Json)
{
    /// <summary>TLS between the nodes (<c>--tls-certificate</c>), or null for plain TCP.</summary>
    public ClusterUpTls? Tls { get; init; }
}

/// <summary>The cluster's certificate for <c>cluster up --tls-certificate</c>: its file, and the environment variable its password is in (never the command line).</summary>
internal sealed record ClusterUpTls(string Certificate, string PasswordEnv);

/// <summary>What <c>hybridspike cluster status</c> was asked.</summary>
internal sealed record ClusterStatusRequest(string Dir, bool Json);

/// <summary>What <c>hybridspike cluster down</c> was asked.</summary>
/// <param name="Timeout">How long a node may take to leave after SIGTERM before it is sent SIGKILL.</param>
internal sealed record ClusterDownRequest(string Dir, TimeSpan Timeout, bool Json);

/// <summary><c>hybridspike cluster up|status|down</c>: a local cluster of <c>hybridspike node</c> processes; <see cref="ClusterService"/> does the work.</summary>
internal static class ClusterCommand
{
    /// <summary>Where a local cluster lives unless <c>--dir</c> says otherwise.</summary>
    public const string DefaultDir = "runs/cluster";

    /// <summary>The first port, as cluster-config/local.hocon's.</summary>
    public const int DefaultBasePort = 4053;

    /// <summary>Seconds <c>down</c> waits for a node's graceful leave: a node gives up on its leave after 10 s (NodeService), so 30 s is past it even on a loaded machine.</summary>
    public const int DefaultDownTimeoutSeconds = 30;

    /// <summary>Seconds to wait for a stopping node (<c>down --timeout</c>).</summary>
    private static readonly CountRange DownTimeoutSeconds = new(1, 3_600, null);

    private static Option<string> Dir() => new("--dir") { Description = $"The cluster's folder: node files, logs, cluster.json (default: {DefaultDir})", DefaultValueFactory = _ => DefaultDir };

    public static Command Build()
    {
        var cluster = new Command("cluster", "Start, inspect and stop a local cluster of `hybridspike node` processes on 127.0.0.1 (docs/cluster.md)");
        cluster.Subcommands.Add(new UpCommand().Command);
        cluster.Subcommands.Add(new StatusCommand().Command);
        cluster.Subcommands.Add(new DownCommand().Command);
        return cluster;
    }

    internal sealed class UpCommand
    {
        private readonly Argument<int> _nodes = new("N") { Description = "Node processes to start (1 to 256)" };
        private readonly Option<string> _dir = Dir();
        private readonly Option<int> _basePort = new("--base-port") { Description = $"Port of node-1; node K gets base + K - 1 and the coordinator file base + N (default: {DefaultBasePort})", DefaultValueFactory = _ => DefaultBasePort };
        private readonly Option<int> _joinTimeout = new("--join-timeout") { Description = "Seconds to wait until every node has joined (default: 60)", DefaultValueFactory = _ => 60 };
        private readonly Option<string?> _tlsCertificate = new("--tls-certificate") { Description = "The cluster's PKCS#12 certificate: every node talks mutual TLS with it (docs/cluster.md, \"Security\")" };
        private readonly Option<string?> _tlsPasswordEnv = new("--tls-password-env") { Description = "The environment variable that holds the certificate's password (the nodes inherit it)" };
        private readonly Option<bool> _json = Cli.JsonOption();

        public Command Command { get; }

        public UpCommand()
        {
            Command = new Command("up", "Start N `hybridspike node` processes in the background on 127.0.0.1, wait until all are up, record them in DIR/cluster.json");
            Command.Arguments.Add(_nodes);
            foreach (var o in new Option[] { _dir, _basePort, _joinTimeout, _tlsCertificate, _tlsPasswordEnv, _json }) Command.Options.Add(o);
            // Ctrl-C while the nodes join stops the ones started (by their ids) instead of leaving them behind unrecorded.
            Command.SetAction((result, cancel) => CtrlC.RunAsync("cluster up", "the nodes it started were stopped", result.InvocationConfiguration.Error, cancel,
                token => ClusterService.UpAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token)));
        }

        public ClusterUpRequest Parse(ParseResult result)
        {
            int nodes = Ranges.Nodes.Check(result.GetValue(_nodes), _nodes.Name);
            int basePort = result.GetValue(_basePort);
            // Ports below 1024 need privileges; the coordinator's file takes the port after the last node's.
            if (basePort < 1024 || basePort + nodes > 65535)
                throw new ArgumentException($"--base-port must be from 1,024 to {65535 - nodes:N0} for {nodes} node(s) and the coordinator, got {basePort:N0}");
            var timeout = TimeSpan.FromSeconds(Ranges.JoinTimeoutSeconds.Check(result.GetValue(_joinTimeout), _joinTimeout.Name));
            var certificate = result.GetValue(_tlsCertificate);
            var passwordEnv = result.GetValue(_tlsPasswordEnv);
            if (certificate is null && passwordEnv is not null) throw new ArgumentException("--tls-password-env needs --tls-certificate");
            if (certificate is not null && string.IsNullOrWhiteSpace(passwordEnv))
                throw new ArgumentException("--tls-certificate needs --tls-password-env: the name of the environment variable that holds its password");
            return new ClusterUpRequest(nodes, result.GetValue(_dir)!, basePort, timeout, result.GetValue(_json))
            {
                Tls = certificate is null ? null : new ClusterUpTls(Path.GetFullPath(certificate), passwordEnv!),
            };
        }
    }

    internal sealed class StatusCommand
    {
        private readonly Option<string> _dir = Dir();
        private readonly Option<bool> _json = Cli.JsonOption();

        public Command Command { get; }

        public StatusCommand()
        {
            Command = new Command("status", "Say for each node of DIR/cluster.json whether it still runs (its pid alive with the recorded start time)");
            foreach (var o in new Option[] { _dir, _json }) Command.Options.Add(o);
            Command.SetAction(result => ClusterService.Status(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        }

        public ClusterStatusRequest Parse(ParseResult result) => new(result.GetValue(_dir)!, result.GetValue(_json));
    }

    internal sealed class DownCommand
    {
        private readonly Option<string> _dir = Dir();
        private readonly Option<int> _timeout = new("--timeout") { Description = $"Seconds a node may take to leave the cluster after SIGTERM before it gets SIGKILL (default: {DefaultDownTimeoutSeconds})", DefaultValueFactory = _ => DefaultDownTimeoutSeconds };
        private readonly Option<bool> _json = Cli.JsonOption();

        public Command Command { get; }

        public DownCommand()
        {
            Command = new Command("down", "Stop the nodes of DIR/cluster.json by their pids (SIGTERM: they leave the cluster; SIGKILL after --timeout), then remove cluster.json");
            foreach (var o in new Option[] { _dir, _timeout, _json }) Command.Options.Add(o);
            Command.SetAction((result, cancel) => ClusterService.DownAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancel));
        }

        public ClusterDownRequest Parse(ParseResult result) =>
            new(result.GetValue(_dir)!, TimeSpan.FromSeconds(DownTimeoutSeconds.Check(result.GetValue(_timeout), _timeout.Name)), result.GetValue(_json));
    }
}
