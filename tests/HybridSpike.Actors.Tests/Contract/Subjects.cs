using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

using BuiltinProfiles = HybridSpike.Mapping.Profiles.Profiles;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>The reference against itself: checks the contract's hand-computed clauses and the generators, and that the reference is deterministic and keeps streams apart.</summary>
public sealed class FixedPointSimulatorContract : FixedPointArithmeticContract
{
    protected override string SubjectName => "the fixed-point simulator";

    protected override ISimulator Subject(CompiledMesh mesh, DeliveryShuffle shuffle, TimeSpan timeout) => ReferenceOf(mesh);
}

/// <summary>The float64 golden model on the discretized network: on dyadic networks it computes exactly the fixed-point numbers.</summary>
public sealed class GoldenSimulatorContract : SimulatorContract
{
    protected override string SubjectName => "the float64 golden model";

    protected override Domain Domain => Domain.Dyadic;

    protected override ISimulator Subject(CompiledMesh mesh, DeliveryShuffle shuffle, TimeSpan timeout) => GoldenSimulator.Create(mesh.Discretized.Network);

    private sealed record Readout(int Dims, int Outputs, int WeightBits, double Scale, ExponentBlock Exponents, ulong Seed)
    {
        public NetworkDescription Network()
        {
            var g = new SplitMix64(Seed);
            return new NetworkDescription(
                [new Population("out", Outputs, Activation.Linear, null, [.. Enumerable.Range(0, Outputs).Select(_ => g.NextDouble() - 0.5)], InitialStateMode.Zeros, 0)],
                [new Connection("input", "out", new DenseWeights(Matrix.Create(Outputs, Dims, (_, _) => Scale * (2 * g.NextDouble() - 1))), Delay.SameStep)],
                new InputMapping(Dims, "any"), new OutputMapping("out", OutputMapping.LastStep));
        }

        public double[] Inputs() { var g = new SplitMix64(Seed + 1); return [.. Enumerable.Range(0, Dims).Select(_ => 2 * g.NextDouble() - 1)]; }
    }

    /// <summary>
    /// The float64 model of the undiscretized network against the fixed-point one, on a linear readout of the
    /// input: |Δy_i| ≤ e·Σ_j |x̂_j| + Σ_j |W_ij|·2^−17 (e the weight error the compiler reports, x̂ the input as
    /// its payload carries it, 2^−17 half a payload step), up to float64 rounding.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property The_fixed_point_output_stays_within_the_reported_weight_error_of_float64() =>
        Prop.ForAll((
            from dims in Gen.Choose(1, 8)
            from outputs in Gen.Choose(1, 4)
            from bits in Gen.Choose(2, 16)
            from scale in Gen.Elements(0.01, 1.0, 37.5)
            from exponents in Gen.Elements(ExponentBlock.Core, ExponentBlock.Row)
            from seed in Gen.Choose(0, int.MaxValue)
            select new Readout(dims, outputs, bits, scale, exponents, (ulong)seed)).ToArbitrary(), r =>
        {
            var net = r.Network();
            var test = BuiltinProfiles.Get("test");
            var mesh = Compiler.Compile(net, test with { Core = test.Core with { WeightBits = r.WeightBits, InputAxons = 8 } }, new SequentialPlacement(), CompileOptions.Default with { Exponents = r.Exponents });
            double error = Assert.Single(mesh.Discretized.Errors).MaxAbsoluteError;
            var x = r.Inputs();
            var exact = GoldenSimulator.Create(net).Run(x, 1, 1).Outputs;
            var fixedPoint = ReferenceOf(mesh).Run(x, 1, 1, null).Outputs;
            var w = ((DenseWeights)net.Connections[0].Weights).Matrix;
            for (int i = 0; i < r.Outputs; i++)
            {
                double carried = x.Sum(v => Math.Abs(FixedPoint.Payload(v) / 65536.0));
                double weights = Enumerable.Range(0, r.Dims).Sum(j => Math.Abs(w[i, j]));
                double bound = error * carried + weights * Math.ScaleB(1, -17) + 1e-12 * (1 + Math.Abs(net.Populations[0].Bias[i]) + weights);
                double delta = Math.Abs(fixedPoint[0, i] - exact[0, i]);
                if (delta > bound) throw new ContractViolation($"{r}: output {i} moved {delta}, more than the reported weight error {error} allows ({bound})");
            }
        });
}

/// <summary>One actor system for a test class's mesh runs (a system per run would cost its start and stop every time).</summary>
public sealed class ActorSystemFixture : IDisposable
{
    public ActorSystem System { get; } = ActorSystem.Create("contract",
        ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING\nakka.log-dead-letters = off\n"
            + $"hybridspike.mesh.session.output-buffer = {ResidentMeshContract.ContractOutputBuffer}"));

    public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(10));
}

/// <summary>The actor mesh as Akka delivers its messages, on the generated profiles and placements.</summary>
public sealed class MeshContract(ActorSystemFixture actors) : FixedPointArithmeticContract, IClassFixture<ActorSystemFixture>
{
    protected override string SubjectName => "the actor mesh";

    protected override ISimulator Subject(CompiledMesh mesh, DeliveryShuffle shuffle, TimeSpan timeout) =>
        new MeshSimulator(actors.System, mesh, MeshRunOptions.Local.WithTimeout(timeout));
}

/// <summary>The actor mesh with every core's incoming messages released in a seeded random order (<see cref="DeliveryShuffle"/>).</summary>
public sealed class ShuffledMeshContract(ActorSystemFixture actors) : FixedPointArithmeticContract, IClassFixture<ActorSystemFixture>
{
    protected override string SubjectName => "the actor mesh with shuffled delivery";

    protected override ISimulator Subject(CompiledMesh mesh, DeliveryShuffle shuffle, TimeSpan timeout) =>
        new MeshSimulator(actors.System, mesh, MeshRunOptions.Local.WithShuffle(shuffle).WithTimeout(timeout));

    /// <summary>
    /// Per core (in placement order), the synaptic events, neuron updates, spikes and packets of a run do
    /// not depend on where the cores sit or in which order their messages arrive; the routes' hops and
    /// chip crossings account for every packet.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property Traffic_counts_do_not_depend_on_placement_or_delivery_order() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), c =>
        {
            var sequential = (c with { PlacementSeed = null, TrafficPlacement = null }).Compile();
            var scattered = (c with { PlacementSeed = c.PlacementSeed ?? 1 }).Compile();
            var inputs = ImmutableArray.Create(c.Inputs());
            MeshTelemetry? Run(CompiledMesh mesh, MeshRunOptions options)
            {
                try { return MeshRuntime.RunWithTelemetryAsync(actors.System, mesh, inputs, c.Streams, c.Steps, null, options, CancellationToken.None).GetAwaiter().GetResult().Telemetry; }
                catch (InvalidOperationException e) when (e.Message.StartsWith("a core failed", StringComparison.Ordinal)) { return null; }
            }
            var plain = Run(sequential, MeshRunOptions.Local.WithTimeout(GeneratedRunTimeout));
            var shuffled = Run(scattered, MeshRunOptions.Local.WithShuffle(c.Shuffle).WithTimeout(GeneratedRunTimeout));
            if (plain is null || shuffled is null)
            {
                if ((plain is null) != (shuffled is null)) throw new ContractViolation($"only one of the runs failed\n{Context(c, sequential)}");
                return;
            }
            static object Counts(CoreTraffic k) => (k.Core, k.SynapticEvents, k.NeuronUpdates, k.Spikes, k.PacketsSent, string.Join(",", k.PacketsSentPerStep));
            Assert.Equal(plain.Cores.Select(Counts), shuffled.Cores.Select(Counts));
            foreach (var t in new[] { plain, shuffled })
            {
                Assert.Equal(t.Packets, t.HopHistogram.Values.Sum());
                Assert.Equal(t.Packets, t.IntraChipPackets + t.InterChipPackets);
            }
        });
}
