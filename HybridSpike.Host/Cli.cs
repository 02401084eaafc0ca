using HybridSpike.Actors.Runtime.Deployment;
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HybridSpike.Core.Data;
using HybridSpike.Host.Commands;

namespace HybridSpike.Host;

/// <summary>The <c>hybridspike</c> command line: one root, a sub-command per job.</summary>
public static class Cli
{
    /// <summary>Exit code for bad input (a bad file, an unknown name, an invalid value).</summary>
    public const int BadInput = 1;

    /// <summary>Exit code when the cluster could not serve a run: too few nodes joined, or a node was lost (sysexits' EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>Exit code for an unexpected failure (a bug).</summary>
    public const int InternalError = 70;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The shared <c>--json</c> option: machine-readable output on stdout.</summary>
    internal static Option<bool> JsonOption() => new("--json") { Description = "Write the result as JSON on stdout" };

    public static RootCommand Build()
    {
        var root = new RootCommand("HybridSpike: train hybrid-spiking networks and run them on an emulated neuromorphic mesh");
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(DataCommands.Build());
        root.Subcommands.Add(TrainCommand.Build());
        root.Subcommands.Add(EvalCommand.Build());
        root.Subcommands.Add(ExperimentCommand.Build());
        root.Subcommands.Add(VerifyCommand.Build());
        root.Subcommands.Add(CompileCommand.Build());
        root.Subcommands.Add(SimulateCommand.Build());
        root.Subcommands.Add(TrafficCommand.Build());
        root.Subcommands.Add(NodeCommand.Build());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(StreamCommand.Build());
        root.Subcommands.Add(DeployCommand.Build());
        root.Subcommands.Add(TrainerCommand.Build());
        root.Subcommands.Add(JobCommands.Build());
        root.Subcommands.Add(ClusterCommand.Build());
        root.Subcommands.Add(NirCommand.Build());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; errors go to <paramref name="error"/> with a non-zero exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // Signals are the commands' own (CtrlC, and the node's leave): System.CommandLine's handling would give up on an
        // action 2 s after Ctrl-C and return while a checkpoint is still being saved.
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        try
        {
            var parsed = Build().Parse(args);
            if (parsed.Errors.Count > 0) return ParseErrors(parsed, error);
            return parsed.Invoke(config);
        }
        catch (Actors.Runtime.Deployment.MeshClusterException e)
        {
            error.WriteLine($"error: {e.Message}");
            return Unavailable;
        }
        catch (Core.Serving.StreamServiceException e)
        {
            // The service refused: a request of ours it found wrong (4xx) is bad input; a service that cannot serve, unavailable.
            error.WriteLine($"error: {e.Message}");
            return (int)e.Status >= 500 ? Unavailable : BadInput;
        }
        catch (Exception e) when (IsBadInput(e))
        {
            error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (Exception e)
        {
            error.WriteLine($"internal error: {e}");
            return InternalError;
        }
    }

    /// <summary>
    /// Parse errors as every other bad input: one "error:" line each on stderr and exit 1, with where to find the
    /// options, instead of the whole help text on stdout (which would break a --json reader).
    /// </summary>
    private static int ParseErrors(ParseResult parsed, TextWriter error)
    {
        foreach (var e in parsed.Errors) error.WriteLine($"error: {e.Message}");
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = parsed.CommandResult; r is not null; r = r.Parent)
            if (r is System.CommandLine.Parsing.CommandResult c) names.Insert(0, c.Command is RootCommand ? "hybridspike" : c.Command.Name);
        error.WriteLine($"(see '{string.Join(' ', names)} --help')");
        return BadInput;
    }

    private static bool IsBadInput(Exception e) =>
        e is DataFormatException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            or Training.Config.ConfigException or Core.Artifact.ArtifactFormatException or Core.Interchange.Nir.NirException or Mapping.Compile.CompileException or Training.TrainingStoppedException or IOException or UnauthorizedAccessException;

    internal static void WriteJson<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Json));
}
