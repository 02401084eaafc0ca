using System.CommandLine;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike node</c> was asked.</summary>
/// <param name="Config">The node's HOCON file.</param>
/// <param name="Port">Listen on this port instead of the file's.</param>
internal sealed record NodeRequest(string Config, int? Port);

/// <summary><c>hybridspike node</c>: parses its options into a <see cref="NodeRequest"/> for <see cref="NodeService"/>.</summary>
internal sealed class NodeCommand
{
    private readonly Option<string> _config = new("--config") { Description = "The node's HOCON file (see cluster-config/README.md)", Required = true };
    private readonly Option<int?> _port = new("--port") { Description = "Listen on this port instead of the file's (several nodes from one file)" };

    public Command Command { get; }

    public NodeCommand()
    {
        Command = new Command("node", "Start a cluster node that hosts mesh cores for `simulate --cluster` runs, until Ctrl-C");
        Command.Options.Add(_config);
        Command.Options.Add(_port);
        Command.SetAction((result, cancel) => NodeService.RunAsync(Parse(result), result.InvocationConfiguration.Error, cancel));
    }

    public static Command Build() => new NodeCommand().Command;

    public NodeRequest Parse(ParseResult result)
    {
        var port = result.GetValue(_port);
        // Port 0 (the OS picks one) would give the node an address no file lists as a seed and no one can find.
        if (port is < 1 or > 65535) throw new ArgumentException($"--port must be from 1 to 65535, got {port}");
        return new NodeRequest(result.GetValue(_config)!, port);
    }
}
