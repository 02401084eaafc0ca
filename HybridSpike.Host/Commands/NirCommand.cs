using System.CommandLine;
using HybridSpike.Core.Interchange.Nir;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike nir export</c> was asked.</summary>
/// <param name="Model">An artifact (.hsa) or a training output directory.</param>
/// <param name="Out">The NIR file to write.</param>
/// <param name="Force">Replace an existing <paramref name="Out"/>.</param>
internal sealed record NirExportRequest(string Model, string Out, NirSubtractiveReset SubtractiveReset, bool Force, bool Json);

/// <summary>What <c>hybridspike nir import</c> was asked.</summary>
/// <param name="File">The NIR file to read.</param>
/// <param name="Out">The artifact to write.</param>
/// <param name="TimeStep">The graph's time unit per step (dt).</param>
/// <param name="Force">Replace an existing <paramref name="Out"/>.</param>
internal sealed record NirImportRequest(string File, string Out, double TimeStep, bool Force, bool Json);

/// <summary><c>hybridspike nir export|import</c>: the NIR interchange (docs/nir.md); they parse, <see cref="NirService"/> does the work.</summary>
internal static class NirCommand
{
    private static Option<bool> Force() => new("--force") { Description = "Replace --out if it exists (otherwise an existing file is refused and left alone)" };

    public static Command Build()
    {
        var nir = new Command("nir", "Export a network to NIR (the Neuromorphic Intermediate Representation, HDF5) or import one (docs/nir.md)");
        nir.Subcommands.Add(new ExportCommand().Command);
        nir.Subcommands.Add(new ImportCommand().Command);
        return nir;
    }

    internal sealed class ExportCommand
    {
        private readonly Argument<string> _model = new("ARTIFACT") { Description = "An artifact (.hsa) or a training output directory" };
        private readonly Option<string> _out = new("--out") { Description = "The NIR file to write (.nir)", Required = true };
        private readonly Option<string> _reset = new("--subtractive-reset")
        {
            Description = "Sigma-Delta quantized populations: 'refuse' (default: NIR's IF cannot express them) or 'extension' (an IF with HybridSpike's metadata, exact for HybridSpike, read as a plain IF by other tools)",
            DefaultValueFactory = _ => "refuse",
        };
        private readonly Option<bool> _force = Force();
        private readonly Option<bool> _json = Cli.JsonOption();

        public Command Command { get; }

        public ExportCommand()
        {
            _reset.AcceptOnlyFromAmong("refuse", "extension");
            Command = new Command("export", "Write an artifact's network as a NIR graph; what NIR cannot express is refused by name");
            Command.Arguments.Add(_model);
            foreach (var o in new Option[] { _out, _reset, _force, _json }) Command.Options.Add(o);
            Command.SetAction((result, cancel) => CtrlC.RunAsync("nir export", CtrlC.NothingWritten, result.InvocationConfiguration.Error, cancel,
                token => Task.FromResult(NirService.Export(Parse(result), result.InvocationConfiguration.Output, token))));
        }

        public NirExportRequest Parse(ParseResult result) => new(
            result.GetValue(_model)!,
            result.GetValue(_out)!,
            result.GetValue(_reset) == "extension" ? NirSubtractiveReset.Extension : NirSubtractiveReset.Refuse,
            result.GetValue(_force),
            result.GetValue(_json));
    }

    internal sealed class ImportCommand
    {
        private readonly Argument<string> _file = new("FILE") { Description = "The NIR file to read (.nir)" };
        private readonly Option<string> _out = new("--out") { Description = "The artifact to write (.hsa)", Required = true };
        private readonly Option<double> _dt = new("--dt")
        {
            Description = "The graph's time unit per step: a Delay of dt is one step, an Integrator adds dt*r*I per step (default: 1, as HybridSpike writes)",
            DefaultValueFactory = _ => 1.0,
        };
        private readonly Option<bool> _force = Force();
        private readonly Option<bool> _json = Cli.JsonOption();

        public Command Command { get; }

        public ImportCommand()
        {
            Command = new Command("import", "Read a NIR graph into an artifact; primitives HybridSpike cannot run exactly are refused by name");
            Command.Arguments.Add(_file);
            foreach (var o in new Option[] { _out, _dt, _force, _json }) Command.Options.Add(o);
            Command.SetAction((result, cancel) => CtrlC.RunAsync("nir import", CtrlC.NothingWritten, result.InvocationConfiguration.Error, cancel,
                token => Task.FromResult(NirService.Import(Parse(result), result.InvocationConfiguration.Output, token))));
        }

        public NirImportRequest Parse(ParseResult result)
        {
            double dt = result.GetValue(_dt);
            if (!(dt > 0 && double.IsFinite(dt))) throw new ArgumentException($"--dt {dt}: the time step must be positive and finite");
            return new NirImportRequest(result.GetValue(_file)!, result.GetValue(_out)!, dt, result.GetValue(_force), result.GetValue(_json));
        }
    }
}
