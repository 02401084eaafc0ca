using HybridSpike.Training;
using ScottPlot;

namespace HybridSpike.Host.Reports;

/// <summary>The picture of one training run (ScottPlot PNG).</summary>
internal static class TrainingPlots
{
    /// <summary>Train and test accuracy per epoch, with each epoch's ω of the quantized populations in the tick labels.</summary>
    public static void Accuracy(IReadOnlyList<EpochRecord> history, string name, string path)
    {
        var plt = new Plot();
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        var train = plt.Add.Scatter(epochs, history.Select(h => h.TrainAccuracy * 100).ToArray());
        train.LegendText = "train (running, during the epoch)";
        var test = plt.Add.Scatter(epochs, history.Select(h => h.TestAccuracy * 100).ToArray());
        test.LegendText = "test split (end of the epoch)";
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. history.Select(h => new Tick(h.Epoch, h.Omega.Count == 0 ? $"{h.Epoch}" : $"{h.Epoch}\nω {string.Join(" ", h.Omega.Values.Select(o => o.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)))}"))]);
        plt.Title($"Training {name}: accuracy per epoch (TorchSharp, float32)");
        plt.XLabel("epoch (and ω at its end)");
        plt.YLabel("accuracy (%)");
        plt.ShowLegend(Alignment.LowerRight);
        plt.SavePng(path, 900, 480);
    }
}
