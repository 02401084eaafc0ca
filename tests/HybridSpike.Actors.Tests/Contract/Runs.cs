using System.Globalization;
using System.Text;
using HybridSpike.Core.Network;
using HybridSpike.Core.Reference;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>A broken clause of the simulator contract; the message says where the two runs part.</summary>
public sealed class ContractViolation(string message) : Exception(message);

/// <summary>Every count an observer saw, in order: (step, population, [stream, unit]).</summary>
public sealed class CountRecorder : IActivityObserver
{
    public readonly List<(int Step, string Population, int Units, int[] Counts)> Seen = [];

    public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) =>
        Seen.Add((step, population.Name, population.Size, counts.ToArray()));
}

/// <summary>What one run gave: the result and every count, or the error it ended with.</summary>
public sealed record RunOutcome(SimulationResult? Result, CountRecorder Counts, Exception? Error)
{
    public static RunOutcome Of(ISimulator simulator, double[] inputs, int streams, int steps)
    {
        var counts = new CountRecorder();
        try { return new RunOutcome(simulator.Run(inputs, streams, steps, counts), counts, null); }
        catch (Exception e) { return new RunOutcome(null, counts, e); }
    }

    /// <summary>
    /// Throws a <see cref="ContractViolation"/> unless <paramref name="actual"/> is <paramref name="expected"/>
    /// spike for spike (every count of every quantized population at every step, in the same order), output
    /// for output (equal doubles) and prediction for prediction; or, when <paramref name="expected"/> failed,
    /// unless <paramref name="actual"/> failed too.
    /// </summary>
    public static void AssertSame(RunOutcome expected, RunOutcome actual, string expectedName, string actualName, string context)
    {
        void Fail(string what) => throw new ContractViolation($"{actualName} differs from {expectedName}: {what}\n{context}");
        if (expected.Error is { } e)
        {
            if (actual.Error is null) Fail($"{expectedName} failed ({e.GetType().Name}: {e.Message}), {actualName} did not");
            return;
        }
        if (actual.Error is { } a) Fail($"{actualName} failed: {a}");
        var (x, y) = (expected.Counts.Seen, actual.Counts.Seen);
        for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
        {
            if ((x[i].Step, x[i].Population) != (y[i].Step, y[i].Population))
                Fail($"observation {i} is step {x[i].Step} of '{x[i].Population}' in {expectedName}, step {y[i].Step} of '{y[i].Population}' in {actualName}");
            for (int k = 0; k < x[i].Counts.Length; k++)
                if (x[i].Counts[k] != y[i].Counts[k])
                    Fail($"step {x[i].Step}, population '{x[i].Population}', stream {k / x[i].Units}, unit {k % x[i].Units}: count {x[i].Counts[k]} in {expectedName}, {y[i].Counts[k]} in {actualName}");
        }
        if (x.Count != y.Count) Fail($"{x.Count} observations of counts in {expectedName}, {y.Count} in {actualName}");
        var (p, q) = (expected.Result!, actual.Result!);
        if ((p.Batch, p.OutputSize) != (q.Batch, q.OutputSize)) Fail($"outputs {p.Batch}x{p.OutputSize} against {q.Batch}x{q.OutputSize}");
        for (int b = 0; b < p.Batch; b++)
            for (int i = 0; i < p.OutputSize; i++)
                if (!Same(p.Outputs[b, i], q.Outputs[b, i]))
                    Fail($"stream {b}, output {i}: {Text(p.Outputs[b, i])} in {expectedName}, {Text(q.Outputs[b, i])} in {actualName}");
        if (!p.Predictions.SequenceEqual(q.Predictions)) Fail($"predictions [{string.Join(",", p.Predictions)}] against [{string.Join(",", q.Predictions)}]");
    }

    /// <summary>Equal values (0 and −0 alike: the float64 model may add a ±0), NaN equal to NaN.</summary>
    private static bool Same(double a, double b) => a == b || (double.IsNaN(a) && double.IsNaN(b));

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The counts of one stream of a batch run, as a run of that stream alone reports them.</summary>
    public RunOutcome Stream(int stream)
    {
        var one = new CountRecorder();
        foreach (var (step, population, units, counts) in Counts.Seen)
            one.Seen.Add((step, population, units, counts.AsSpan(stream * units, units).ToArray()));
        if (Result is not { } r) return new RunOutcome(null, one, Error);
        var outputs = HybridSpike.Core.Numerics.Matrix.Create(1, r.OutputSize, r.Outputs.Row(stream));
        return new RunOutcome(new SimulationResult(outputs, [r.Predictions[stream]]), one, null);
    }

    public override string ToString()
    {
        var s = new StringBuilder();
        if (Error is not null) s.Append($"failed: {Error.Message}");
        else s.Append($"outputs {string.Join(" ", Result!.Outputs.ToArray().Select(Text))}");
        return s.ToString();
    }
}
