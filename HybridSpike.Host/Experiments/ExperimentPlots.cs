using ScottPlot;

namespace HybridSpike.Host.Experiments;

/// <summary>The experiment's PNG plots (ScottPlot).</summary>
internal static class ExperimentPlots
{
    private const int Width = 900, Height = 520;

    /// <summary>Test accuracy per epoch, every model.</summary>
    public static void LearningCurves(IReadOnlyList<ExperimentRun> runs, string path)
    {
        var plt = new Plot();
        foreach (var r in runs)
        {
            var s = plt.Add.Scatter(r.History.Select(h => (double)h.Epoch).ToArray(), r.History.Select(h => h.TestAccuracy * 100).ToArray());
            s.LegendText = r.Name;
        }
        plt.Title("Test accuracy per epoch");
        plt.XLabel("epoch");
        plt.YLabel("test accuracy (%)");
        plt.ShowLegend(Alignment.LowerRight);
        plt.SavePng(path, Width, Height);
    }

    /// <summary>Test accuracy of the hybrid-spiking models against the hidden layer's ω at the end of each epoch (log scale).</summary>
    public static void AccuracyAgainstOmega(IReadOnlyList<ExperimentRun> runs, string path)
    {
        var plt = new Plot();
        foreach (var r in runs.Where(r => r.History.Any(h => h.Omega.ContainsKey("hidden"))))
        {
            var s = plt.Add.Scatter(r.History.Select(h => Math.Log10(h.Omega["hidden"])).ToArray(), r.History.Select(h => h.TestAccuracy * 100).ToArray());
            s.LegendText = r.Name;
        }
        plt.Title("Accuracy while ω moves from the non-spiking to the spiking regime");
        plt.XLabel("ω of the hidden layer at the end of the epoch (log scale)");
        plt.YLabel("test accuracy (%)");
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. new[] { 0.0, 0.5, 1, 1.5, 2, 2.5, 3 }.Select(v => new Tick(v, $"{Math.Pow(10, v):0.#}"))]);
        plt.ShowLegend(Alignment.LowerLeft);
        plt.SavePng(path, Width, Height);
    }

    /// <summary>Distribution of spike counts n (share of unit-steps, log scale) per quantized population of each hybrid model.</summary>
    public static void SpikeHistograms(IReadOnlyList<ExperimentRun> runs, string path)
    {
        var plt = new Plot();
        var series = runs.SelectMany(r => r.SpikeHistograms.Select(h => (Label: $"{r.Name} {h.Key}", Counts: h.Value))).ToList();
        for (int i = 0; i < series.Count; i++)
        {
            var (label, counts) = series[i];
            double total = counts.Values.Sum();
            var points = counts.OrderBy(kv => kv.Key).ToArray();
            var s = plt.Add.Scatter(points.Select(kv => (double)kv.Key).ToArray(), points.Select(kv => Math.Log10(kv.Value / total)).ToArray());
            s.LegendText = label;
            s.MarkerSize = 6;
        }
        plt.Title("Spike counts n per unit and step on the test split");
        plt.XLabel("n (signed integer count)");
        plt.YLabel("log10 share of unit-steps");
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, Width, Height);
    }
}
