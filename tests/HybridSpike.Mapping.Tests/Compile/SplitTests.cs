using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Mapping.Tests.Compile;

public class SplitTests
{
    private static readonly HardwareProfile Test = HybridSpike.Mapping.Profiles.Profiles.Get("test");

    private static Population Pop(string name, int size) => new(name, size, Activation.Relu, 2.0, [], InitialStateMode.Uniform, 1);

    private static Connection Dense(string source, string target, int rows, int cols, Func<int, int, double>? w = null) =>
        new(source, target, new DenseWeights(Matrix.Create(rows, cols, w ?? ((_, _) => 0.5))), Delay.SameStep);

    private static NetworkDescription Net(ImmutableArray<Population> pops, ImmutableArray<Connection> conns, int inputs = 1) =>
        new(pops, conns, new InputMapping(inputs, "test"), new OutputMapping(pops[^1].Name, OutputMapping.LastStep));

    private static void AssertCovers(SplitNetwork split)
    {
        foreach (var p in split.Network.Populations)
        {
            int next = 0;
            foreach (var piece in split.Of(p.Name)) { Assert.Equal(next, piece.Start); Assert.True(piece.Count > 0); next += piece.Count; }
            Assert.Equal(p.Size, next);
        }
    }

    [Fact]
    public void A_population_larger_than_a_core_is_cut_by_the_unit_limit()
    {
        var split = Split.Run(Net([Pop("a", 40)], [Dense("input", "a", 40, 1)]), Test);
        Assert.Equal([(0, 16, SplitLimit.Units), (16, 16, SplitLimit.Units), (32, 8, SplitLimit.None)],
            split.Of("a").Select(p => (p.Start, p.Count, p.ClosedBy)));
        AssertCovers(split);
    }

    [Fact]
    public void Sparse_inputs_are_cut_where_the_distinct_sources_would_exceed_the_input_axons()
    {
        // Units 0-7 read sources 0-39, units 8-15 sources 40-79: together 80 > 64 input axons.
        var split = Split.Run(Net([Pop("src", 80), Pop("dst", 16)],
            [Dense("input", "src", 80, 1), Dense("src", "dst", 16, 80, (t, s) => (t < 8) == (s < 40) ? 1 : 0)]), Test with { Core = Test.Core with { Units = 100, OutputAxons = 1000 } });
        Assert.Equal([(0, 8, SplitLimit.InputAxons), (8, 8, SplitLimit.None)], split.Of("dst").Select(p => (p.Start, p.Count, p.ClosedBy)));
        Assert.All(split.Of("dst"), p => Assert.Equal(40, p.InputAxons));
    }

    [Fact]
    public void Sources_reaching_many_target_pieces_are_cut_by_the_output_axons()
    {
        // dst (128 units) needs 8 cores; each src unit reaches all 8, so only 64 / 8 = 8 src units fit a core.
        var split = Split.Run(Net([Pop("src", 32), Pop("dst", 128)], [Dense("input", "src", 32, 1), Dense("src", "dst", 128, 32)]), Test);
        Assert.Equal(8, split.Of("dst").Count());
        Assert.Equal([(0, 8, SplitLimit.OutputAxons), (8, 8, SplitLimit.OutputAxons), (16, 8, SplitLimit.OutputAxons), (24, 8, SplitLimit.None)],
            split.Of("src").Select(p => (p.Start, p.Count, p.ClosedBy)));
        Assert.All(split.Of("src"), p => Assert.Equal(64, p.OutputAxons));
        AssertCovers(split);
    }

    [Fact]
    public void Synapse_memory_cuts_when_it_is_the_tightest_limit()
    {
        var small = Test with { Core = Test.Core with { SynapseMemoryBits = 1024 } };
        // 10 inputs x 8 bits = 80 bits per unit: 12 units fit in 1,024 bits.
        var split = Split.Run(Net([Pop("a", 16)], [Dense("input", "a", 16, 10)], inputs: 10), small);
        Assert.Equal([(0, 12, SplitLimit.SynapseMemory), (12, 4, SplitLimit.None)], split.Of("a").Select(p => (p.Start, p.Count, p.ClosedBy)));
        Assert.Equal(960, split.Of("a").First().SynapseBits);
    }

    [Fact]
    public void A_unit_whose_fan_in_exceeds_the_limit_is_an_error_naming_unit_limit_and_profile()
    {
        var e = Assert.Throws<CompileException>(() => Split.Run(Net([Pop("wide", 3)], [Dense("input", "wide", 3, 100)], inputs: 100), Test));
        Assert.Equal("population 'wide', unit 0: input axons (100) exceeded the per-core max (64) of profile 'test'", e.Message);
    }

    [Fact]
    public void On_loihi_the_psMNIST_hsLMU_shape_fits_one_core_per_population()
    {
        var loihi = HybridSpike.Mapping.Profiles.Profiles.Get("loihi");
        var net = Net([Pop("memory", 256), Pop("hidden", 212), Pop("output", 10)],
            [Dense("input", "memory", 256, 1), Dense("memory", "memory", 256, 256) with { Delay = Delay.OneStep },
             Dense("memory", "hidden", 212, 256), Dense("hidden", "hidden", 212, 212) with { Delay = Delay.OneStep }, Dense("hidden", "output", 10, 212)]);
        var split = Split.Run(net, loihi);
        Assert.Equal([1, 1, 1], net.Populations.Select(p => split.Of(p.Name).Count()));
        // 256 + 1 sources into the memory core, 9-bit weights: (256·256 + 256)·9 bits of 1 Mbit.
        Assert.Equal((256L * 256 + 256) * 9, split.Of("memory").Single().SynapseBits);
    }

    [Fact]
    public void A_recurrence_whose_output_axons_depend_on_its_own_cut_settles_instead_of_cycling()
    {
        // Found by the simulator contract's generator: recutting p from scratch went round a cycle of three cuts
        // ([0,4,7], [0,3,5,7], [0,2,4,6], [0,2,4,7], ...) and the stage gave up ("did not settle").
        int[][] recurrent = [[7], [1, 3, 4], [], [6], [1, 3], [2], [1, 3, 5, 7], [2, 5, 6, 7]]; // p -> p: sources of each target
        var net = new NetworkDescription(
            [new Population("p", 8, Activation.Linear, 1, [], InitialStateMode.Zeros, 0), new Population("out", 4, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("p", "p", new DenseWeights(Matrix.Create(8, 8, (t, s) => recurrent[t].Contains(s) ? 0.5 : 0)), Delay.OneStep),
             new Connection("p", "out", new DenseWeights(Matrix.Create(4, 8, (t, s) => t == 3 && s == 1 ? 0 : 0.5)), Delay.OneStep)],
            new InputMapping(1, "none"), new OutputMapping("out", OutputMapping.LastStep));
        var profile = Test with { Core = new CoreLimits(Units: 16, InputAxons: 19, OutputAxons: 7, SynapseMemoryBits: 5120, WeightBits: 8) };
        var split = Split.Run(net, profile);
        AssertCovers(split);
        // Each piece's output axons, counted afresh on the settled cut, fit the core.
        var pieces = split.Of("p").ToList();
        int PieceOf(int unit) => pieces.FindIndex(x => unit >= x.Start && unit < x.Start + x.Count);
        foreach (var piece in pieces)
        {
            int axons = Enumerable.Range(piece.Start, piece.Count)
                .Sum(u => Enumerable.Range(0, 8).Where(t => recurrent[t].Contains(u)).Select(PieceOf).Distinct().Count() + 1); // + the one piece of out
            Assert.Equal(axons, piece.OutputAxons);
            Assert.InRange(axons, 1, 7);
        }
    }
}
