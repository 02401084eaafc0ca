using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;
using HybridSpike.Core.Tests.Artifact;

namespace HybridSpike.Core.Tests.Reference;

public class GoldenSimulatorTests
{
    private static double[] RandomInputs(int count, ulong seed, double zeroFraction = 0.3)
    {
        var g = new SplitMix64(seed);
        var x = new double[count];
        for (int i = 0; i < x.Length; i++) x[i] = g.NextDouble() < zeroFraction ? 0 : 2 * g.NextDouble() - 1;
        return x;
    }

    private static Population Linear(string name, int size, params double[] bias) =>
        new(name, size, Activation.Linear, null, [.. bias], InitialStateMode.Uniform, 0);

    private static NetworkDescription Net(Population[] populations, Connection[] connections, int inputs, string output) =>
        new([.. populations], [.. connections], new InputMapping(inputs, "test"), new OutputMapping(output, OutputMapping.LastStep));

    private static DenseWeights Dense(int rows, int columns, params double[] values) => new(Matrix.Create(rows, columns, values));

    // ---- the LMU memory against its impulse response ----

    [Theory]
    [InlineData(3, 2)]
    [InlineData(12, 5)]
    [InlineData(40, 6)]
    public void A_linear_LMU_memory_reproduces_the_convolution_with_its_impulse_response(int order, int batch)
    {
        const double theta = 30;
        const int length = 60;
        var lti = Legendre.Discretize(order, theta, Discretization.ZeroOrderHold);
        var network = Net(
            [Linear("memory", order)],
            [
                new Connection("input", "memory", new DenseWeights(lti.B), Delay.SameStep),
                new Connection("memory", "memory", new DenseWeights(lti.A), Delay.OneStep),
            ],
            1, "memory");
        var sim = GoldenSimulator.Create(network);
        var h = lti.ImpulseResponse(length);
        var x = RandomInputs(batch * length, 9);

        for (int steps = 1; steps <= length; steps++)
        {
            // The first `steps` inputs of each sample, laid out [batch, step, 1].
            var inputs = new double[batch * steps];
            for (int b = 0; b < batch; b++) Array.Copy(x, b * length, inputs, b * steps, steps);
            var m = sim.Run(inputs, batch, steps).Outputs;
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < order; i++)
                {
                    // m_t = Σ_k H[k] x_{t−k}, t = steps − 1.
                    double expected = 0;
                    for (int k = 0; k < steps; k++) expected += h[k, i] * inputs[b * steps + steps - 1 - k];
                    Assert.True(Math.Abs(m[b, i] - expected) <= 1e-12, $"steps {steps}, sample {b}, unit {i}: {m[b, i]} vs {expected}");
                }
        }
    }

    // ---- quantized populations ----

    /// <summary>One quantized population fed only by the input, so that f(x_t) is known outside the simulator.</summary>
    private static NetworkDescription Quantized(Activation f, double omega, int size, int dims, ulong seed, InitialStateMode init = InitialStateMode.Uniform)
    {
        var g = new SplitMix64(seed);
        var bias = Enumerable.Range(0, size).Select(_ => g.NextDouble() - 0.5).ToArray();
        return Net(
            [new Population("q", size, f, omega, [.. bias], init, seed)],
            [new Connection("input", "q", new DenseWeights(SampleArtifacts.RandomMatrix(size, dims, seed + 1, 1.5)), Delay.SameStep)],
            dims, "q");
    }

    /// <summary>f(x) of the only population of <see cref="Quantized"/>, in the definition's order of operations.</summary>
    private static double[] Ideal(NetworkDescription network, double[] inputs, int batch, int steps)
    {
        var p = network.Populations[0];
        var w = ((DenseWeights)network.Connections[0].Weights).Matrix;
        int dims = network.Input.Dimensions;
        var fx = new double[steps * batch * p.Size]; // [step, sample, unit]
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < p.Size; i++)
                {
                    double x = p.Bias[i];
                    for (int j = 0; j < dims; j++)
                    {
                        double a = inputs[(b * steps + t) * dims + j];
                        if (a != 0) x += w[i, j] * a;
                    }
                    fx[(t * batch + b) * p.Size + i] = Activations.Apply(p.Activation, x);
                }
        return fx;
    }

    [Fact]
    public void A_quantized_populations_running_sum_stays_within_one_quantum_of_the_ideal_at_every_step()
    {
        Prop.ForAll(
            Gen.Elements(Activation.Linear, Activation.Relu, Activation.Tanh, Activation.Sigmoid).ToArbitrary(),
            Gen.Choose(1, 3000).Select(i => i / 100.0).ToArbitrary(),
            Gen.Choose(0, 100_000).ToArbitrary(),
            (f, omega, seed) =>
            {
                const int size = 11, dims = 3, batch = 5, steps = 40;
                var network = Quantized(f, omega, size, dims, (ulong)seed);
                var inputs = RandomInputs(batch * steps * dims, (ulong)seed + 7);
                var counts = GoldenSimulator.Create(network).RecordCounts("q", inputs, batch, steps);
                var fx = Ideal(network, inputs, batch, steps);
                var sa = new double[batch * size];
                var sf = new double[batch * size];
                for (int t = 0; t < steps; t++)
                    for (int k = 0; k < batch * size; k++)
                    {
                        sa[k] += counts.Counts[t * batch * size + k] / omega;
                        sf[k] += fx[t * batch * size + k];
                        if (Math.Abs(sa[k] - sf[k]) >= 1 / omega + 1e-9) return false;
                    }
                return true;
            }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(Activation.Tanh, 3.7, 40, 7)]
    [InlineData(Activation.Linear, 0.9, 19, 4)]
    [InlineData(Activation.Relu, 12, 9, 1)]
    public void The_counts_equal_a_direct_SigmaDelta_loop(Activation f, double omega, int size, int batch)
    {
        const int dims = 4, steps = 30;
        var network = Quantized(f, omega, size, dims, 21);
        var inputs = RandomInputs(batch * steps * dims, 22);
        var recorded = GoldenSimulator.Create(network).RecordCounts("q", inputs, batch, steps);
        var fx = Ideal(network, inputs, batch, steps);

        var v0 = network.Populations[0].InitialStates();
        for (int b = 0; b < batch; b++)
        {
            var v = (double[])v0.Clone(); // every sample starts from the same v₀
            var n = new int[size];
            for (int t = 0; t < steps; t++)
            {
                SigmaDelta.Step(v, fx.AsSpan((t * batch + b) * size, size), omega, n);
                for (int i = 0; i < size; i++) Assert.Equal(n[i], recorded.Count(t, b, i));
            }
        }
        Assert.Contains(recorded.Counts, c => c != 0);
    }

    [Fact]
    public void The_output_of_a_quantized_population_is_its_last_count_divided_by_omega()
    {
        // Divided, not multiplied by 1/ω: for ω = 37.3 the two differ in the last bit for many counts.
        const double omega = 37.3;
        var network = Quantized(Activation.Linear, omega, 6, 2, 3);
        var inputs = RandomInputs(3 * 10 * 2, 4);
        var recorded = GoldenSimulator.Create(network).RecordCounts("q", inputs, 3, 10);
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 6; i++)
                Assert.Equal(recorded.Count(9, b, i) / omega, recorded.Result.Outputs[b, i]);
        Assert.Contains(Enumerable.Range(0, 18), k => recorded.Count(9, k / 6, k % 6) / omega != recorded.Count(9, k / 6, k % 6) * (1 / omega));
    }

    // ---- delays on a network small enough to compute by hand ----

    [Theory]
    [InlineData(1, Delay.SameStep, 2.25)]   // A₀ = 1;              B₀ = 0.25 + 2·A₀
    [InlineData(1, Delay.OneStep, 0.25)]    //                      B₀ = 0.25 + 2·0 (nothing before t = 0)
    [InlineData(2, Delay.SameStep, 5.25)]   // A₁ = 2 + 0.5·A₀ = 2.5; B₁ = 0.25 + 2·A₁
    [InlineData(2, Delay.OneStep, 2.25)]    //                      B₁ = 0.25 + 2·A₀
    [InlineData(3, Delay.SameStep, 8.75)]   // A₂ = 3 + 0.5·A₁ = 4.25; B₂ = 0.25 + 2·A₂
    [InlineData(3, Delay.OneStep, 5.25)]    //                      B₂ = 0.25 + 2·A₁
    public void Same_step_and_one_step_delays_give_the_hand_computed_values(int steps, Delay delay, double expected)
    {
        // x = 1, 2, 3; A_t = x_t + 0.5·A_{t−1}; B_t = 0.25 + 2·A_{t or t−1}.
        var network = Net(
            [Linear("A", 1), Linear("B", 1, 0.25)],
            [
                new Connection("input", "A", Dense(1, 1, 1), Delay.SameStep),
                new Connection("A", "A", Dense(1, 1, 0.5), Delay.OneStep),
                new Connection("A", "B", Dense(1, 1, 2), delay),
            ],
            1, "B");
        var result = GoldenSimulator.Create(network).Run(new double[] { 1, 2, 3 }.AsSpan(0, steps), 1, steps);
        Assert.Equal(expected, result.Outputs[0, 0]);
    }

    [Theory]
    [InlineData(Delay.SameStep, 3)]
    [InlineData(Delay.OneStep, 2)]
    public void A_one_step_input_connection_sees_the_previous_input(Delay delay, double expected)
    {
        var network = Net([Linear("A", 1)], [new Connection("input", "A", Dense(1, 1, 1), delay)], 1, "A");
        Assert.Equal(expected, GoldenSimulator.Create(network).Run([1, 2, 3], 1, 3).Outputs[0, 0]);
        Assert.Equal(delay == Delay.SameStep ? 1 : 0, GoldenSimulator.Create(network).Run([1], 1, 1).Outputs[0, 0]);
    }

    [Fact]
    public void A_one_step_connection_may_feed_an_earlier_population()
    {
        // A_t = x_t + B_{t−1}, B_t = 2·A_t, x = 1, 1, 1: A = 1, 3, 7; B = 2, 6, 14.
        var network = Net(
            [Linear("A", 1), Linear("B", 1)],
            [
                new Connection("input", "A", Dense(1, 1, 1), Delay.SameStep),
                new Connection("B", "A", Dense(1, 1, 1), Delay.OneStep),
                new Connection("A", "B", Dense(1, 1, 2), Delay.SameStep),
            ],
            1, "A");
        Assert.Equal(7, GoldenSimulator.Create(network).Run([1, 1, 1], 1, 3).Outputs[0, 0]);
        Assert.Equal(14, GoldenSimulator.Create(network with { Output = new OutputMapping("B", OutputMapping.LastStep) }).Run([1, 1, 1], 1, 3).Outputs[0, 0]);
    }

    [Theory]
    [InlineData("B", "A")]
    [InlineData("A", "A")]
    public void A_same_step_connection_into_an_earlier_or_the_same_population_is_refused(string source, string target)
    {
        var network = Net(
            [Linear("A", 1), Linear("B", 1)],
            [new Connection("input", "A", Dense(1, 1, 1), Delay.SameStep), new Connection(source, target, Dense(1, 1, 1), Delay.SameStep)],
            1, "B");
        var e = Assert.Throws<ArgumentException>(network.Validate);
        Assert.Contains($"connection {source} -> {target}", e.Message);
        Assert.Contains("same-step", e.Message);
        Assert.Throws<ArgumentException>(() => GoldenSimulator.Create(network));
    }

    // ---- batches, kernels and layouts ----

    [Fact]
    public void A_samples_result_does_not_depend_on_the_rest_of_its_batch()
    {
        var network = SampleArtifacts.Network();
        var big = Net(
            [
                Linear("memory", 37),
                new Population("hidden", 45, Activation.Tanh, 3, [], InitialStateMode.Uniform, 5),
                new Population("out", 10, Activation.Linear, 8, [], InitialStateMode.Uniform, 6),
            ],
            [
                new Connection("input", "memory", new DenseWeights(SampleArtifacts.RandomMatrix(37, 2, 1)), Delay.SameStep),
                new Connection("memory", "memory", new DenseWeights(SampleArtifacts.RandomMatrix(37, 37, 2, 0.15)), Delay.OneStep),
                new Connection("memory", "hidden", new DenseWeights(SampleArtifacts.RandomMatrix(45, 37, 3, 0.3)), Delay.SameStep),
                new Connection("hidden", "hidden", SampleArtifacts.RandomSparse(45, 45, 60, 4), Delay.OneStep),
                new Connection("hidden", "out", new DenseWeights(SampleArtifacts.RandomMatrix(10, 45, 5)), Delay.SameStep),
            ],
            2, "out");
        foreach (var net in new[] { network, big })
        {
            const int batch = 7, steps = 25;
            int dims = net.Input.Dimensions;
            var sim = GoldenSimulator.Create(net);
            var inputs = RandomInputs(batch * steps * dims, 31);
            var all = sim.Run(inputs, batch, steps);
            for (int b = 0; b < batch; b++)
            {
                var alone = sim.Run(inputs.AsSpan(b * steps * dims, steps * dims), 1, steps);
                for (int i = 0; i < sim.OutputSize; i++) Assert.Equal(all.Outputs[b, i], alone.Outputs[0, i]);
                Assert.Equal(all.Predictions[b], alone.Predictions[0]);
            }
        }
    }

    [Fact]
    public void Identical_samples_give_identical_counts_because_each_starts_from_the_same_initial_state()
    {
        var network = Quantized(Activation.Tanh, 1.5, 9, 2, 8);
        var one = RandomInputs(20 * 2, 9);
        var inputs = Enumerable.Repeat(one, 6).SelectMany(x => x).ToArray();
        var recorded = GoldenSimulator.Create(network).RecordCounts("q", inputs, 6, 20);
        for (int t = 0; t < 20; t++)
            for (int b = 1; b < 6; b++)
                for (int i = 0; i < 9; i++)
                    Assert.Equal(recorded.Count(t, 0, i), recorded.Count(t, b, i));
    }

    [Theory]
    [InlineData(45, 50, 9, Activation.Linear)]
    [InlineData(8, 3, 4, Activation.Tanh)]
    [InlineData(3, 7, 1, Activation.Sigmoid)]
    [InlineData(70, 5, 5, Activation.Relu)]
    public void A_non_spiking_population_equals_the_scalar_definition_bit_for_bit(int targets, int sources, int batch, Activation f)
    {
        var bias = Enumerable.Range(0, targets).Select(i => 0.01 * i - 0.2).ToArray();
        var w = SampleArtifacts.RandomMatrix(targets, sources, 77);
        var network = Net(
            [new Population("y", targets, f, null, [.. bias], InitialStateMode.Uniform, 0)],
            [new Connection("input", "y", new DenseWeights(w), Delay.SameStep)],
            sources, "y");
        var inputs = RandomInputs(batch * sources, 78, zeroFraction: 0.5);
        var y = GoldenSimulator.Create(network).Run(inputs, batch, 1).Outputs;
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < targets; i++)
            {
                double x = bias[i];
                for (int j = 0; j < sources; j++)
                {
                    double a = inputs[b * sources + j];
                    if (a != 0) x += w[i, j] * a;
                }
                Assert.Equal(BitConverter.DoubleToInt64Bits(Activations.Apply(f, x)), BitConverter.DoubleToInt64Bits(y[b, i]));
            }
    }

    [Fact]
    public void The_vector_kernels_round_like_the_scalar_definition()
    {
        // No fused multiply-add: x + s·w with the product rounded first, in every lane and in the tail.
        var g = new SplitMix64(99);
        for (int n = 0; n < 40; n++)
        {
            var x = Enumerable.Range(0, n).Select(_ => (g.NextDouble() - 0.5) * 1e3).ToArray();
            var w = Enumerable.Range(0, n).Select(_ => g.NextDouble() - 0.5).ToArray();
            double s = g.NextDouble() * 3 + 0.1;
            var expected = x.Select((xi, i) => xi + s * w[i]).ToArray();
            GoldenSimulator.Axpy(x, s, w);
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), x.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Fact]
    public void Sparse_weights_give_exactly_the_result_of_the_same_dense_weights()
    {
        // Unique (target, source) pairs: repeated ones would add up in another order in the two forms.
        var sparse = SampleArtifacts.RandomSparse(20, 6, 50, 12);
        var pairs = new HashSet<(int, int)>();
        var keep = Enumerable.Range(0, sparse.Values.Length).Where(k => pairs.Add((sparse.TargetIndex[k], sparse.SourceIndex[k]))).ToArray();
        var s = new SparseWeights(20, 6, [.. keep.Select(k => sparse.TargetIndex[k])], [.. keep.Select(k => sparse.SourceIndex[k])], [.. keep.Select(k => sparse.Values[k])]);
        var d = new double[20 * 6];
        for (int k = 0; k < s.Values.Length; k++) d[s.TargetIndex[k] * 6 + s.SourceIndex[k]] = s.Values[k];

        NetworkDescription With(Weights w) => Net(
            [new Population("h", 20, Activation.Tanh, 4, [], InitialStateMode.Uniform, 3)],
            [new Connection("input", "h", w, Delay.SameStep), new Connection("h", "h", new DenseWeights(SampleArtifacts.RandomMatrix(20, 20, 13, 0.2)), Delay.OneStep)],
            6, "h");
        var inputs = RandomInputs(5 * 15 * 6, 14);
        var a = GoldenSimulator.Create(With(s)).RecordCounts("h", inputs, 5, 15);
        var b = GoldenSimulator.Create(With(new DenseWeights(Matrix.Create(20, 6, d)))).RecordCounts("h", inputs, 5, 15);
        Assert.Equal(b.Counts.ToArray(), a.Counts.ToArray());
        Assert.Equal(b.Result.Outputs, a.Result.Outputs);
    }

    [Fact]
    public void Inputs_are_read_as_batch_then_step_then_dimension()
    {
        // y_t = x_t[0] − x_t[1]; the output is the last step's.
        var network = Net([Linear("y", 1)], [new Connection("input", "y", Dense(1, 2, 1, -1), Delay.SameStep)], 2, "y");
        double[] inputs = [1, 2, 30, 5, /* sample 1 */ 7, 3, 100, 1];
        var y = GoldenSimulator.Create(network).Run(inputs, 2, 2).Outputs;
        Assert.Equal(25, y[0, 0]);
        Assert.Equal(99, y[1, 0]);
    }

    [Fact]
    public void Predictions_are_the_first_maximum_of_each_output_row()
    {
        var network = Net([Linear("y", 3)], [new Connection("input", "y", Dense(3, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1), Delay.SameStep)], 3, "y");
        var r = GoldenSimulator.Create(network).Run([0.1, 0.9, 0.3, /**/ 5, -1, 5, /**/ -3, -2, -1], 3, 1);
        Assert.Equal([1, 0, 2], r.Predictions.ToArray());
        Assert.Equal((3, 3), (r.Batch, r.OutputSize));
    }

    // ---- observers ----

    [Fact]
    public void The_observer_sees_every_quantized_population_at_every_step_in_evaluation_order()
    {
        var network = SampleArtifacts.Network();
        var seen = new List<(int Step, string Population, int Length)>();
        GoldenSimulator.Create(network).Run(RandomInputs(2 * 4 * 3, 5), 2, 4, new ListObserver(seen));
        var expected = Enumerable.Range(0, 4).SelectMany(t => new[] { (t, "hidden", 2 * 5), (t, "out", 2 * 3) });
        Assert.Equal(expected, seen);
    }

    private sealed class ListObserver(List<(int, string, int)> seen) : IActivityObserver
    {
        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) => seen.Add((step, population.Name, counts.Length));
    }

    [Fact]
    public void Recording_counts_needs_a_quantized_population_that_exists()
    {
        var sim = GoldenSimulator.Create(SampleArtifacts.Network());
        var inputs = new double[3];
        Assert.Contains("not quantized", Assert.Throws<ArgumentException>(() => sim.RecordCounts("memory", inputs, 1, 1)).Message);
        Assert.Contains("no population 'nope'", Assert.Throws<ArgumentException>(() => sim.RecordCounts("nope", inputs, 1, 1)).Message);
    }

    // ---- refusing bad input ----

    [Fact]
    public void Inputs_of_the_wrong_length_are_refused_with_the_expected_size()
    {
        var sim = GoldenSimulator.Create(SampleArtifacts.Network());
        var e = Assert.Throws<ArgumentException>(() => sim.Run(new double[10], 2, 2));
        Assert.Contains("inputs: 10 values, but batch 2 × steps 2 × input dimensions 3 need 12", e.Message);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-1, 1)]
    public void A_batch_or_step_count_below_one_is_refused(int batch, int steps)
    {
        var sim = GoldenSimulator.Create(SampleArtifacts.Network());
        Assert.Throws<ArgumentOutOfRangeException>(() => sim.Run([], batch, steps));
    }

    [Fact]
    public void Non_finite_weights_are_refused()
    {
        var network = Net([Linear("y", 2)], [new Connection("input", "y", Dense(2, 1, 1, double.NaN), Delay.SameStep)], 1, "y");
        Assert.Contains("weight 1 is NaN", Assert.Throws<ArgumentException>(() => GoldenSimulator.Create(network)).Message);
    }

    // ---- artifacts ----

    [Fact]
    public void An_artifact_read_from_disk_runs_exactly_like_its_network()
    {
        var artifact = SampleArtifacts.Artifact();
        var back = ArtifactFile.Deserialize(ArtifactFile.Serialize(artifact), "memory");
        var inputs = RandomInputs(6 * 12 * 3, 41);
        var a = GoldenSimulator.Create(artifact.Network).RecordCounts("hidden", inputs, 6, 12);
        var b = GoldenSimulator.Create(back).RecordCounts("hidden", inputs, 6, 12);
        Assert.Equal(a.Counts.ToArray(), b.Counts.ToArray());
        Assert.Equal(a.Result.Outputs, b.Result.Outputs);
    }

    [Fact]
    public void Only_float64_artifacts_are_simulated()
    {
        var artifact = SampleArtifacts.Artifact() with { Arithmetic = "fixed-point" };
        Assert.Contains("fixed-point", Assert.Throws<ArgumentException>(() => GoldenSimulator.Create(artifact)).Message);
    }
}
