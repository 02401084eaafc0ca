using HybridSpike.Core.Network;

namespace HybridSpike.Core.Interchange.Nir;

/// <summary>How a population's activity is quantized, as far as NIR is concerned.</summary>
public enum NirQuantizerKind
{
    /// <summary>Not quantized: the population sends f(x) itself.</summary>
    None,
    /// <summary>First-order Sigma-Delta (temporally diffused error): graded integer counts, subtractive reset (<see cref="Numerics.SigmaDelta"/>).</summary>
    SigmaDelta,
    /// <summary>Another rule of <see cref="Numerics.QuantizerRule"/> (rounding, stochastic, dithered, send-on-delta): no NIR form.</summary>
    Other,
}

/// <summary>
/// The one place that decides which quantizers NIR can carry: Sigma-Delta (with the opt-in, docs/nir.md); every other
/// rule of <see cref="Population.Quantizer"/> is refused naming it, until its NIR form is designed.
/// </summary>
public static class NirQuantizers
{
    /// <summary>The quantizer of <paramref name="population"/>.</summary>
    public static NirQuantizerKind Of(Population population)
    {
        ArgumentNullException.ThrowIfNull(population);
        if (!population.IsQuantized) return NirQuantizerKind.None;
        return population.Quantizer is Numerics.QuantizerRule.SigmaDelta ? NirQuantizerKind.SigmaDelta : NirQuantizerKind.Other;
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
            _ => $"its quantizer rule is {population.Quantizer.Name}, which has no NIR form (HybridSpike writes only Sigma-Delta quantizers, as an IF with its metadata)",
        };
    }
}
