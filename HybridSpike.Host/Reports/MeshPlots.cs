using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Telemetry;
using ScottPlot;

namespace HybridSpike.Host.Reports;

/// <summary>The pictures of a mesh run (ScottPlot PNG): link load over the core grid, traffic per step, spike raster.</summary>
internal static class MeshPlots
{
    /// <summary>Packets leaving each core position over its mesh links (log10), on the whole grid of the profile, with the chips' borders.</summary>
    public static void LinkLoadHeatmap(CompiledMesh mesh, MeshTelemetry t, string path)
    {
        var layout = mesh.Profile.Layout;
        var grid = new double[layout.Height, layout.Width];
        foreach (var l in t.Links) grid[l.FromY, l.FromX] += l.Packets;
        for (int y = 0; y < layout.Height; y++)
            for (int x = 0; x < layout.Width; x++) grid[y, x] = Math.Log10(1 + grid[y, x]);
        var plt = new Plot();
        var h = plt.Add.Heatmap(grid);
        h.Colormap = new ScottPlot.Colormaps.Viridis();
        plt.Add.ColorBar(h).Label = "log10(1 + packets sent over the core's links)";
        plt.Title($"Link load on {mesh.Profile.Name}: {layout.ChipsX}x{layout.ChipsY} chips of {layout.CoresX}x{layout.CoresY} cores");
        plt.XLabel("core x (chips side by side)");
        plt.YLabel("core y (north at the top)");
        // The heatmap draws row 0 at the top: label each row with its core y.
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, layout.Height).Select(y => new Tick(layout.Height - 1 - y, y.ToString()))]);
        // Cells are centred on integer coordinates: a chip border lies half a cell past its last core.
        for (int cx = 1; cx < layout.ChipsX; cx++) ChipBorder(plt.Add.VerticalLine(cx * layout.CoresX - 0.5));
        for (int cy = 1; cy < layout.ChipsY; cy++) ChipBorder(plt.Add.HorizontalLine(layout.Height - cy * layout.CoresY - 0.5));
        plt.SavePng(path, 1000, 420);
    }

    private static void ChipBorder(ScottPlot.Plottables.AxisLine line)
    {
        line.Color = Colors.White;
        line.LineWidth = 2;
        line.LinePattern = LinePattern.Dashed;
    }

    /// <summary>Packets sent per step over all cores and streams: all of them, those within a chip and those between chips.</summary>
    public static void TrafficPerStep(MeshTelemetry t, string path)
    {
        var steps = t.PerStep.Select(s => (double)s.Step).ToArray();
        var plt = new Plot();
        foreach (var (label, values) in new (string, Func<StepTraffic, long>)[]
            { ("all packets", s => s.PacketsSent), ("within a chip", s => s.IntraChipPackets), ("between chips", s => s.InterChipPackets) })
        {
            var line = plt.Add.Scatter(steps, t.PerStep.Select(s => (double)values(s)).ToArray());
            line.MarkerSize = 0;
            line.LegendText = label;
        }
        plt.Title("Packets per time step (all cores, all streams)");
        plt.XLabel("step");
        plt.YLabel("packets");
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, 900, 420);
    }

    /// <summary>Every nonzero count of one stream: step against unit, one colour per population.</summary>
    public static void SpikeRaster(IReadOnlyList<(int Step, string Population, int[] Counts)> counts, IReadOnlyDictionary<string, int> sizes, string path)
    {
        var plt = new Plot();
        int offset = 0, i = 0;
        foreach (var (population, size) in sizes)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            foreach (var (step, pop, c) in counts.Where(c => c.Population == population))
                for (int u = 0; u < size; u++)
                    if (c[u] != 0) { xs.Add(step); ys.Add(offset + u); }
            var s = plt.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
            s.MarkerSize = 1.5f;
            s.Color = Colors.Category10[i++ % 10];
            s.LegendText = population;
            offset += size;
        }
        plt.Title("Spike raster of one test sequence (every nonzero count)");
        plt.XLabel("step");
        plt.YLabel("unit");
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, 1000, 520);
    }
}
