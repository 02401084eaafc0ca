using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Metrics;

/// <summary>Small networks whose metrics are worked out by hand (the same one as docs/metrics.md's example).</summary>
internal static class MetricsNetworks
{
    public static Population Pop(string name, int size, Activation f, double? omega) =>
        new(name, size, f, omega, ImmutableArray<double>.Empty, InitialStateMode.Zeros, 0);

    public static Connection Dense(string source, string target, int rows, int columns, double[] w, Delay delay = Delay.SameStep) =>
        new(source, target, new DenseWeights(Matrix.Create(rows, columns, w)), delay);

    /// <summary>
    /// input (1) → h (2 units, tanh, ω = 4: quantized, signed) → m (1 unit, linear, not quantized), with
    /// h → h and m → h recurrences. Nonzero weights: input→h 2; h→h [[0,1],[1,1]] gives h fan-outs [1, 2];
    /// h→m [[1,1]] gives [1, 1]; so h's fan-out is [2, 3] (5 synapses); m→h [[0.5],[0]] gives m's fan-out [1].
    /// </summary>
    public static NetworkDescription Worked()
    {
        var net = new NetworkDescription(
            [Pop("h", 2, Activation.Tanh, 4), Pop("m", 1, Activation.Linear, null)],
            [
                Dense(NetworkDescription.InputName, "h", 2, 1, [1, 1]),
                Dense("h", "h", 2, 2, [0, 1, 1, 1], Delay.OneStep),
                Dense("h", "m", 1, 2, [1, 1]),
                Dense("m", "h", 2, 1, [0.5, 0], Delay.OneStep),
            ],
            new InputMapping(1, "one value per step"),
            new OutputMapping("m", OutputMapping.LastStep));
        net.Validate();
        return net;
    }

    /// <summary>h's counts on the worked example: 2 sequences × 2 steps, [sample, step, unit].</summary>
    public static readonly int[] WorkedCounts =
    [
        3, 0,    // sample 0, step 0
        -1, 2,   // sample 0, step 1
        0, 0,    // sample 1, step 0
        0, -5,   // sample 1, step 1
    ];
}
