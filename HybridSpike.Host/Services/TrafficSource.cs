using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Network;
using HybridSpike.Host.Commands;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Studies;

namespace HybridSpike.Host.Services;

/// <summary>
/// What a traffic study runs: one network and its input sequences, read by position. A trained artifact
/// brings its dataset's test split; a generated network brings seeded uniform inputs
/// (<see cref="UniformSequences"/>). The study itself never asks which.
/// </summary>
/// <param name="Name">The model's path, or the generated network's parameters.</param>
/// <param name="Title">The report's title: the model's file name, or the generated network in words.</param>
/// <param name="Inputs">What the sequences are, for the report ("the first 20 test sequences of mnist-embedded").</param>
/// <param name="Count">Sequences in the study.</param>
/// <param name="Steps">Time steps per sequence.</param>
/// <param name="Read">The sequences at the positions given, laid out [sequence][step][dimension].</param>
internal sealed record TrafficSource(string Name, string Title, NetworkDescription Network, string Inputs, int Count, int Steps, Func<int[], double[]> Read)
{
    /// <summary>The first <paramref name="samples"/> test sequences of the artifact's dataset (or the one <paramref name="data"/> names).</summary>
    public static TrafficSource FromArtifact(string model, DatasetOverride data, int samples)
    {
        var path = CompileService.ArtifactPath(model);
        var artifact = ArtifactFile.Read(path);
        var (dataConfig, seq) = CompileService.TestSequences(artifact, path, data, samples, "--samples");
        return new TrafficSource(path, Path.GetFileName(path), artifact.Network, $"the first {seq.Test.Count} test sequences of {dataConfig.Dataset}", seq.Test.Count, seq.Steps,
            positions => seq.Doubles(seq.Test, positions).Inputs);
    }

    /// <summary>The generated network of <paramref name="spec"/> with <paramref name="samples"/> seeded uniform sequences of <paramref name="steps"/> steps.</summary>
    public static TrafficSource Generated(GeneratedNetwork spec, int samples, int steps, ulong seed)
    {
        var network = spec.Network();
        var inputs = new UniformSequences(steps, network.Input.Dimensions, seed);
        return new TrafficSource(spec.ToString(), spec.Title(network), network, $"{samples} sequence{(samples == 1 ? "" : "s")} uniform in [-1, 1) from seed {seed}", samples, steps, positions => inputs.Doubles(positions));
    }
}

/// <summary>A network a traffic study generates instead of reading an artifact (<c>--network</c>).</summary>
internal abstract record GeneratedNetwork
{
    private GeneratedNetwork() { }

    public abstract NetworkDescription Network();

    /// <summary>The network in words, for a report's title.</summary>
    public abstract string Title(NetworkDescription network);

    /// <summary>
    /// <see cref="Mapping.Studies.LocallyConnected"/> made for the machine of profile <paramref name="On"/> (a triangular torus: one
    /// population per core; placed sequentially there, its traffic is local).
    /// </summary>
    public sealed record LocallyConnected(string On, int Radius, int Targets, int Units) : GeneratedNetwork
    {
        public const string Kind = "locally-connected";

        public override NetworkDescription Network()
        {
            var profile = Profiles.Get(On);
            if (profile.Routing.Topology != TriangularTorus.TopologyName)
                throw new ArgumentException($"--network {Kind}: on={On} is a {profile.Routing.Topology} machine; the network is made for a triangular torus (e.g. spinnaker)");
            try { return new Mapping.Studies.LocallyConnected(profile.Layout, Units, Radius, Targets).Network(); }
            catch (ArgumentOutOfRangeException e) { throw new ArgumentException($"--network {Kind}: {e.Message}", e); }
        }

        public override string ToString() => $"{Kind}:on={On},radius={Radius},targets={Targets},units={Units}";

        public override string Title(NetworkDescription network) =>
            $"a locally-connected network of {network.Populations.Sum(p => (long)p.Size):N0} units ({network.Populations.Length:N0} populations of {Units}, each feeding {Targets} on every chip within {Radius} hops) made for {Path.GetFileName(On)}";
    }

    /// <summary>Parses <c>locally-connected[:on=P,radius=R,targets=T,units=U]</c>; any field left out takes its default.</summary>
    public static GeneratedNetwork Parse(string text)
    {
        var (kind, rest) = text.IndexOf(':') is var c and >= 0 ? (text[..c], text[(c + 1)..]) : (text, "");
        if (kind != LocallyConnected.Kind) throw new ArgumentException($"--network: unknown network '{kind}'; valid: {LocallyConnected.Kind}");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["on"] = "spinnaker", ["radius"] = "3", ["targets"] = "2", ["units"] = "44" };
        foreach (var part in rest.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !fields.ContainsKey(kv[0]))
                throw new ArgumentException($"--network {kind}: '{part}' is not one of on=PROFILE, radius=N, targets=N, units=N");
            fields[kv[0]] = kv[1];
        }
        int Int(string key, int min)
        {
            if (!int.TryParse(fields[key], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) || v < min)
                throw new ArgumentException($"--network {kind}: {key}={fields[key]} is not a whole number of at least {min}");
            return v;
        }
        return new LocallyConnected(fields["on"], Int("radius", 0), Int("targets", 1), Int("units", 1));
    }
}
