using HybridSpike.Core.Interchange.Nir;
using HybridSpike.Core.Network;
using HybridSpike.Core.Reference;
using PureHDF;

namespace HybridSpike.Core.Tests.Interchange.Nir;

/// <summary>
/// NIR files as another tool writes them, built here node by node in NIR 1.0's published HDF5 layout (nir.serialization:
/// a root 'version' and 'node'; each node a group with a string 'type' and one dataset per parameter; a graph's
/// 'nodes' group and its 'edges' [E, 2] strings), with float32 weights and int64 shapes as NumPy's defaults give.
/// </summary>
public sealed class NirForeignFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-nir-foreign-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly float[,] W = { { 0.5f, -0.25f, 1.5f }, { -1f, 0.75f, 0.125f } };
    private static readonly double[] B = [0.1, -0.3];

    private string Write(H5Group graph, string name = "foreign.nir")
    {
        var path = Path.Combine(_dir, name);
        new H5File { ["version"] = "1.0.7", ["node"] = graph }.Write(path);
        return path;
    }

    private static H5Group Graph(H5Group nodes, params (string, string)[] edges)
    {
        var e = new string[edges.Length, 2];
        for (int i = 0; i < edges.Length; i++) (e[i, 0], e[i, 1]) = edges[i];
        return new H5Group { ["type"] = "NIRGraph", ["nodes"] = nodes, ["edges"] = e };
    }

    private static H5Group Input(long n) => new() { ["type"] = "Input", ["shape"] = new long[] { n } };
    private static H5Group Output(long n) => new() { ["type"] = "Output", ["shape"] = new long[] { n } };
    private static H5Group Affine() => new() { ["type"] = "Affine", ["weight"] = W, ["bias"] = B };

    /// <summary>Input → Affine → Integrator → Output, the integrator with r = [1, 2].</summary>
    private string IntegratorFile() => Write(Graph(
        new H5Group { ["input"] = Input(3), ["affine"] = Affine(), ["integrator"] = new H5Group { ["type"] = "I", ["r"] = new[] { 1.0, 2.0 } }, ["output"] = Output(2) },
        ("input", "affine"), ("affine", "integrator"), ("integrator", "output")));

    private static double[] Inputs(int steps)
    {
        var g = new HybridSpike.Core.Numerics.SplitMix64(5);
        return [.. Enumerable.Range(0, steps * 3).Select(_ => 2 * g.NextDouble() - 1)];
    }

    /// <summary>The discrete-time reading with dt = 1, written out: v_t = v_{t−1} + r·(W·x_t + b).</summary>
    private static double[] Integrated(double[] x, int steps, double[] r)
    {
        var v = new double[2];
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < 2; i++)
            {
                double current = B[i];
                for (int j = 0; j < 3; j++) current += W[i, j] * x[t * 3 + j];
                v[i] += r[i] * current;
            }
        return v;
    }

    [Fact]
    public void An_integrator_graph_written_elsewhere_runs_as_its_discrete_time_reading()
    {
        var network = NirImport.ToNetwork(NirFile.Read(IntegratorFile()).Graph, NirImportOptions.Default);
        var x = Inputs(25);
        var outputs = GoldenSimulator.Create(network).Run(x, 1, 25).Outputs;
        var expected = Integrated(x, 25, [1, 2]);
        for (int i = 0; i < 2; i++) Assert.Equal(expected[i], outputs[0, i], 1e-12);
    }

    [Fact]
    public void The_time_step_scales_an_integrator()
    {
        var network = NirImport.ToNetwork(NirFile.Read(IntegratorFile()).Graph, new NirImportOptions(0.5));
        var x = Inputs(10);
        var outputs = GoldenSimulator.Create(network).Run(x, 1, 10).Outputs;
        var expected = Integrated(x, 10, [0.5, 1.0]);
        for (int i = 0; i < 2; i++) Assert.Equal(expected[i], outputs[0, i], 1e-12);
    }

    [Fact]
    public void A_leaky_integrator_moves_dt_over_tau_of_the_way_each_step()
    {
        var path = Write(Graph(
            new H5Group
            {
                ["input"] = Input(3),
                ["linear"] = new H5Group { ["type"] = "Linear", ["weight"] = W },
                ["li"] = new H5Group { ["type"] = "LI", ["tau"] = new[] { 4.0, 2.0 }, ["r"] = new[] { 1.0, 0.5 }, ["v_leak"] = new[] { 0.2, -0.1 } },
                ["output"] = Output(2),
            },
            ("input", "linear"), ("linear", "li"), ("li", "output")));
        var network = NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default);
        var x = Inputs(20);
        var outputs = GoldenSimulator.Create(network).Run(x, 1, 20).Outputs;
        double[] tau = [4, 2], r = [1, 0.5], leak = [0.2, -0.1];
        var v = new double[2];
        for (int t = 0; t < 20; t++)
            for (int i = 0; i < 2; i++)
            {
                double current = 0;
                for (int j = 0; j < 3; j++) current += W[i, j] * x[t * 3 + j];
                v[i] += (leak[i] - v[i] + r[i] * current) / tau[i];
            }
        for (int i = 0; i < 2; i++) Assert.Equal(v[i], outputs[0, i], 1e-12);
    }

    [Fact]
    public void A_delay_of_one_step_makes_a_one_step_connection()
    {
        var path = Write(Graph(
            new H5Group
            {
                ["input"] = Input(3), ["d"] = new H5Group { ["type"] = "Delay", ["delay"] = new[] { 1.0, 1.0, 1.0 } },
                ["affine"] = Affine(), ["output"] = Output(2),
            },
            ("input", "d"), ("d", "affine"), ("affine", "output")));
        var network = NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default);
        Assert.Equal(Delay.OneStep, Assert.Single(network.Connections).Delay);
    }

    [Fact]
    public void An_affine_that_feeds_the_output_becomes_a_population_of_its_own()
    {
        var path = Write(Graph(new H5Group { ["input"] = Input(3), ["affine"] = Affine(), ["output"] = Output(2) }, ("input", "affine"), ("affine", "output")));
        var network = NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default);
        Assert.Equal("affine", network.Output.Population);
    }

    [Theory]
    [InlineData("LIF", "a leaky integrate-and-fire neuron")]
    [InlineData("Conv2d", "a convolution")]
    [InlineData("Threshold", "a Heaviside step")]
    public void An_unsupported_primitive_is_refused_naming_the_node(string type, string reason)
    {
        var path = Write(Graph(
            new H5Group { ["input"] = Input(2), ["unit"] = new H5Group { ["type"] = type, ["threshold"] = new[] { 1.0, 1.0 } }, ["output"] = Output(2) },
            ("input", "unit"), ("unit", "output")));
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default));
        Assert.Contains($"node 'unit' ({type}): {reason}", e.Message);
    }

    [Fact]
    public void An_IF_written_elsewhere_is_refused_because_it_resets_to_a_value()
    {
        var path = Write(Graph(
            new H5Group
            {
                ["input"] = Input(3), ["affine"] = Affine(), ["output"] = Output(2),
                ["if"] = new H5Group { ["type"] = "IF", ["r"] = new[] { 1.0, 1.0 }, ["v_threshold"] = new[] { 1.0, 1.0 }, ["v_reset"] = new[] { 0.0, 0.0 } },
            },
            ("input", "affine"), ("affine", "if"), ("if", "output")));
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default));
        Assert.Contains("node 'if' (IF): an IF without HybridSpike's subtractive-reset metadata", e.Message);
    }

    [Fact]
    public void A_delay_of_two_steps_is_refused_naming_the_node()
    {
        var path = Write(Graph(
            new H5Group { ["input"] = Input(3), ["d"] = new H5Group { ["type"] = "Delay", ["delay"] = new[] { 2.0, 2.0, 2.0 } }, ["affine"] = Affine(), ["output"] = Output(2) },
            ("input", "d"), ("d", "affine"), ("affine", "output")));
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default));
        Assert.Contains("node 'd' (Delay): delays 2 are not 0 or one step", e.Message);
    }

    [Fact]
    public void A_loop_without_a_delay_is_refused_naming_its_nodes()
    {
        var square = new float[,] { { 0.5f, 0 }, { 0, 0.5f } };
        var path = Write(Graph(
            new H5Group
            {
                ["input"] = Input(2), ["a"] = new H5Group { ["type"] = "Scale", ["scale"] = new[] { 1.0, 1.0 } },
                ["back"] = new H5Group { ["type"] = "Linear", ["weight"] = square }, ["output"] = Output(2),
            },
            ("input", "a"), ("a", "back"), ("back", "a"), ("a", "output")));
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default));
        Assert.Contains("'a' feed each other within one step", e.Message);
    }
}
