using HybridSpike.Core.Network;

namespace HybridSpike.Core.Interchange.Nir;

/// <summary>How a population's activity is quantized, as far as NIR is concerned.</summary>
public enum NirQuantizerKind
{
    /// <summary>Not quantized: the population sends f(x) itself.</summary>
    None,
    /// <summary>First-order Sigma-Delta (temporally diffused error): graded integer counts, subtractive reset (<see cref="Numerics.SigmaDelta"/>).</summary>
    SigmaDelta,
}

/// <summary>
/// The one place that decides which quantizers NIR can carry. Today every quantized population is Sigma-Delta.
/// When <see cref="Population"/> gains a quantizer rule (rounding, stochastic, dithered, send-on-delta), map each
/// rule in <see cref="Of"/>: Sigma-Delta to <see cref="NirQuantizerKind.SigmaDelta"/>, every other rule to a refusal
/// in <see cref="Refusal"/>, until its NIR form is designed (docs/nir.md says what the Sigma-Delta one is).
/// </summary>
public static class NirQuantizers
{
    /// <summary>The quantizer of <paramref name="population"/>.</summary>
    public static NirQuantizerKind Of(Population population)
    {
        ArgumentNullException.ThrowIfNull(population);
        return population.IsQuantized ? NirQuantizerKind.SigmaDelta : NirQuantizerKind.None;
    }

    /// <summary>
    /// Why <paramref name="population"/>'s quantizer cannot be written with <paramref name="options"/>, or null when it
    /// can. A quantized population must be Sigma-Delta, and a Sigma-Delta one needs the explicit opt-in: NIR's IF cannot
    /// express it (docs/nir.md).
    /// </summary>
    public static string? Refusal(Population population, NirExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Of(population) switch
        {
            NirQuantizerKind.None => null,
            NirQuantizerKind.SigmaDelta when options.SubtractiveReset == NirSubtractiveReset.Extension => null,
            NirQuantizerKind.SigmaDelta =>
                $"it is a Sigma-Delta quantizer (ω = {population.Omega}): graded integer counts, negative ones included, and a subtractive reset that keeps the remainder. " +
                "NIR's IF emits at most one spike per step and, since NIR 1.0.6, resets to v_reset, so a plain IF would compute something else; " +
                "no graph of NIR primitives reproduces it exactly (docs/nir.md). Pass --subtractive-reset extension to write an IF with HybridSpike's metadata " +
                "(exact for HybridSpike, read differently by other tools)",
            var other => $"its quantizer {other} has no NIR form",
        };
    }
}
