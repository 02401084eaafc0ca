using HybridSpike.Mapping.Compile;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Mapping.Tests.Compile;

public class CompilerTests
{
    [Fact]
    public void The_pipeline_keeps_every_stage_and_summarizes_cores_routes_and_split_reasons()
    {
        var net = new NetworkDescription(
            [new Population("a", 40, Activation.Relu, 2.0, [], InitialStateMode.Uniform, 1), new Population("b", 4, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("input", "a", new DenseWeights(Matrix.Create(40, 1, (t, _) => t / 40.0)), Delay.SameStep),
             new Connection("a", "b", new DenseWeights(Matrix.Create(4, 40, (_, s) => s % 16 == 0 ? 0.5 : 0)), Delay.SameStep)],
            new InputMapping(1, "t"), new OutputMapping("b", OutputMapping.LastStep));
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        Assert.Equal([("a", 3, "units"), ("b", 1, "-")], mesh.Populations.Select(p => (p.Population, p.Cores, p.SplitBy)));
        Assert.Equal(4, mesh.Cores.Length);
        Assert.Equal("units", mesh.Cores[0].SplitBy);
        Assert.Equal(3, mesh.Routes.Length);
        Assert.Equal("E", mesh.Routes.Single(r => r.From == 2).Path); // core 2 at (0,1) to core 3 at (1,1): one hop east
        Assert.Same(mesh.Discretized.Network, mesh.Network);
    }
}
