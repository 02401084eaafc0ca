using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using HybridSpike.Host.Services;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Host.Reports;

/// <summary>
/// The files of <c>hybridspike traffic</c> (docs/traffic.md defines every column): traffic.md, traffic.json, traffic.csv and
/// traffic-links.png. Only these are written; anything else in the folder is left alone. The table's columns are declared
/// once, as (name, value) pairs, for the CSV and the Markdown alike.
/// </summary>
internal static class TrafficFiles
{
    public const string MarkdownFile = "traffic.md", JsonFile = "traffic.json", CsvFile = "traffic.csv", LinksPicture = "traffic-links.png";

    private sealed record Column(string Csv, string Markdown, Func<TrafficRow, object?> Value);

    private static IEnumerable<Column> Columns(TrafficReport report)
    {
        yield return new("profile", "profile", r => r.Profile);
        yield return new("placement", "placement", r => r.Placement);
        yield return new("topology", "topology", r => r.Topology);
        yield return new("cores", "cores", r => r.Cores);
        yield return new("spikes", "spikes", r => r.Spikes);
        yield return new("packets_injected", "packets injected", r => r.PacketsInjected);
        yield return new("payload_packets_injected", "of them with a payload (72-bit)", r => r.PayloadPacketsInjected);
        yield return new("deliveries", "deliveries", r => r.Deliveries);
        yield return new("link_traversals", "link traversals", r => r.LinkTraversals);
        yield return new("hops", "hops", r => r.Hops);
        yield return new("busiest_link_packets", "busiest link", r => r.BusiestLink?.Packets);
        yield return new("busiest_link_direction", "direction", r => r.BusiestLink?.Direction);
        yield return new("busiest_link_from", "from", r => r.BusiestLink is { } b ? $"{b.FromX},{b.FromY}" : null);
        yield return new("inter_chip_share", "inter-chip share", r => r.InterChipShare);
        yield return new("table_entries_built", "entries built", r => r.Tables?.Built);
        yield return new("table_entries_without_default_routes", "without default routes", r => r.Tables?.WithoutDefaultRoutes);
        foreach (var name in report.Compressors)
            yield return new($"table_entries_{name.Replace('-', '_')}", $"after {name}", r => r.Tables is { } t ? t.Compressed[name] : null);
        yield return new("energy_per_inference_joules", "energy per inference (J)", r => r.EnergyPerInferenceJoules);
        yield return new("seconds_per_step", "seconds per step", r => r.SecondsPerStep);
        yield return new("real_time_peak_load", "real-time peak load", r => r.RealTime?.PeakLoad);
        yield return new("time_scale_factor", "time scale factor", r => r.RealTime?.TimeScaleFactor);
        yield return new("packets_over_capacity", "packets over capacity", r => r.RealTime?.PacketsOverCapacity);
        yield return new("static_energy_per_inference_joules", "static energy per inference (J)", r => r.RealTime?.StaticJoulesPerInference);
        yield return new("compile_seconds", "compile (s)", r => r.CompileSeconds);
        yield return new("mesh_checked_samples", "mesh-checked samples", r => r.MeshChecked);
    }

    private static string Text(object? v) => v switch
    {
        null => "",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    private static string CsvField(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;

    public static string Csv(TrafficReport report)
    {
        var columns = Columns(report).ToArray();
        var s = new StringBuilder();
        s.AppendLine(string.Join(",", columns.Select(c => c.Csv)));
        foreach (var r in report.Rows) s.AppendLine(string.Join(",", columns.Select(c => CsvField(Text(c.Value(r))))));
        return s.ToString();
    }

    public static string Markdown(TrafficReport report)
    {
        var columns = Columns(report).ToArray();
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"# Traffic of {report.Title}");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"- network: `{report.Model}`; inputs: {report.Inputs}, {report.Steps} steps each (every count is over all {report.Samples} samples; energy is per inference)");
        s.AppendLine(CultureInfo.InvariantCulture,
            $"- common weight precision: **{report.CommonWeightBits}-bit weights** on every profile (the smallest of {string.Join(", ", report.WeightBits.Select(w => $"{w.Key} {w.Value}"))}), with {report.Exponents} exponents, so every combination runs the same fixed-point network (checked) and sends the same spikes");
        s.AppendLine("- definitions: docs/traffic.md");
        s.AppendLine();
        s.AppendLine("| " + string.Join(" | ", columns.Select(c => c.Markdown)) + " |");
        s.AppendLine("|" + string.Concat(columns.Select(_ => " --- |")));
        foreach (var r in report.Rows) s.AppendLine("| " + string.Join(" | ", columns.Select(c => Text(c.Value(r)) is { Length: > 0 } t ? t : "-")) + " |");
        return s.ToString();
    }

    /// <summary>Writes the four files into <paramref name="dir"/> (made if missing) and returns their names.</summary>
    public static IReadOnlyList<string> Write(string dir, TrafficReport report, IReadOnlyList<TrafficPanel> runs)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, MarkdownFile), Markdown(report));
        File.WriteAllText(Path.Combine(dir, CsvFile), Csv(report));
        using (var json = new StreamWriter(Path.Combine(dir, JsonFile))) Cli.WriteJson(json, report);
        TrafficPlots.LinkLoads(runs, Path.Combine(dir, LinksPicture));
        return [MarkdownFile, JsonFile, CsvFile, LinksPicture];
    }
}

/// <summary>What one combination's panel of the link picture needs, kept instead of its compiled mesh.</summary>
/// <param name="UsedChips">The chips that hold at least one piece.</param>
internal sealed record TrafficPanel(HardwareProfile Profile, ITopology Topology, string Placer, ImmutableHashSet<(int X, int Y)> UsedChips, MeshTelemetry Telemetry)
{
    public static TrafficPanel Of(CompiledMesh mesh, string placer, MeshTelemetry telemetry) =>
        new(mesh.Profile, mesh.Topology, placer, [.. mesh.Routed.Placed.Placements.Select(p => (p.Core.ChipX, p.Core.ChipY))], telemetry);
}

/// <summary>
/// The link loads of every combination side by side, on one colour scale (log10(1 + packets), viridis) so that the
/// panels compare: on a 2D mesh one cell per core, coloured by the packets leaving it over its links (as
/// <see cref="MeshPlots.LinkLoadHeatmap"/>); on the triangular torus each chip a hexagon on its true place in the
/// triangular lattice, chip (x, y) at (x − y/2, y·√3/2) (the six neighbours then all lie at distance 1: Furber et al.,
/// Proc. IEEE 2014, Fig. 3), and each of its six outgoing links a segment from its centre towards that neighbour,
/// on the right-hand side so that the two directions of a link stay apart, coloured by its load.
/// </summary>
internal static class TrafficPlots
{
    private const double PanelWidth = 10, PanelGap = 2;

    public static void LinkLoads(IReadOnlyList<TrafficPanel> runs, string path)
    {
        var plt = new ScottPlot.Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        double max = 0;
        foreach (var r in runs)
            foreach (var v in Loads(r)) max = Math.Max(max, v);
        ScottPlot.Color Color(double packets) => colormap.GetColor(max == 0 ? 0 : Math.Log10(1 + packets) / max);
        for (int i = 0; i < runs.Count; i++)
        {
            var panel = runs[i];
            double left = i * (PanelWidth + PanelGap);
            double top = panel.Topology is Mapping.Routing.TriangularTorus torus ? Torus(plt, torus, panel, left, Color) : Mesh(plt, panel, left, Color);
            var label = plt.Add.Text($"{panel.Profile.Name}, {panel.Placer}", left, top + 0.8);
            label.LabelFontSize = 14;
        }
        plt.Title($"Link load (colour: log10(1 + packets), 0 to {max:0.##}; viridis, one scale for all panels)");
        plt.Axes.Frameless();
        plt.HideGrid();
        plt.Axes.SquareUnits();
        plt.SavePng(path, Math.Max(600, 420 * runs.Count), 520);
    }

    /// <summary>log10(1 + packets) of every value a panel colours (the mesh's per-core sums, the torus's links).</summary>
    private static IEnumerable<double> Loads(TrafficPanel panel) =>
        panel.Topology is Mapping.Routing.TriangularTorus
            ? panel.Telemetry.Links.Select(l => Math.Log10(1 + l.Packets))
            : panel.Telemetry.Links.GroupBy(l => (l.FromX, l.FromY)).Select(g => Math.Log10(1 + g.Sum(l => l.Packets)));

    /// <summary>One cell per core of the whole grid, north (y − 1 on the mesh) at the top; chip borders as white gaps. Returns the panel's top.</summary>
    private static double Mesh(ScottPlot.Plot plt, TrafficPanel panel, double left, Func<double, ScottPlot.Color> color)
    {
        var (layout, t) = (panel.Profile.Layout, panel.Telemetry);
        double s = PanelWidth / Math.Max(layout.Width, layout.Height);
        var sent = new long[layout.Width, layout.Height];
        foreach (var l in t.Links) sent[l.FromX, l.FromY] += l.Packets;
        for (int y = 0; y < layout.Height; y++)
            for (int x = 0; x < layout.Width; x++)
            {
                // A cell a little smaller than its place, with a wider gap at a chip border.
                double gapX = x % layout.CoresX == 0 ? 0.15 : 0.04, gapY = y % layout.CoresY == 0 ? 0.15 : 0.04;
                var cell = plt.Add.Rectangle(left + (x + gapX) * s, left + (x + 0.96) * s, -(y + 0.96) * s, -(y + gapY) * s);
                cell.FillStyle.Color = color(sent[x, y]);
                cell.LineStyle.Width = 0;
            }
        return 0;
    }

    /// <summary>Every chip a hexagon at (x − y/2, y·√3/2), its six outgoing links as coloured segments. Returns the panel's top.</summary>
    private static double Torus(ScottPlot.Plot plt, Mapping.Routing.TriangularTorus torus, TrafficPanel panel, double left, Func<double, ScottPlot.Color> color)
    {
        double h = Math.Sqrt(3) / 2;
        double minX = -(torus.Height - 1) / 2.0, span = torus.Width - 1 - minX + 1;
        double s = PanelWidth / Math.Max(span, (torus.Height - 1) * h + 1);
        (double X, double Y) At(int x, int y) => (left + (x - y / 2.0 - minX + 0.5) * s, (y * h) * s);
        var used = panel.UsedChips;
        var load = panel.Telemetry.Links.ToDictionary(l => (l.FromX, l.FromY, l.ToX, l.ToY), l => l.Packets);
        double r = s / Math.Sqrt(3) * 0.92;     // pointy-top hexagons: flat sides face the six neighbours
        foreach (var n in torus.Nodes)
        {
            var (cx, cy) = At(n.X, n.Y);
            var corners = Enumerable.Range(0, 6).Select(k => new ScottPlot.Coordinates(cx + r * Math.Cos(Math.PI / 6 + k * Math.PI / 3), cy + r * Math.Sin(Math.PI / 6 + k * Math.PI / 3))).ToArray();
            var hex = plt.Add.Polygon(corners);
            hex.FillStyle.Color = used.Contains((n.X, n.Y)) ? ScottPlot.Colors.LightGray : ScottPlot.Colors.WhiteSmoke;
            hex.LineStyle.Color = ScottPlot.Colors.Gray;
            hex.LineStyle.Width = 0.5f;
        }
        foreach (var n in torus.Nodes)
        {
            var (cx, cy) = At(n.X, n.Y);
            for (int k = 0; k < 6; k++)
            {
                var to = torus.Neighbour(n, k);
                long packets = load.GetValueOrDefault((n.X, n.Y, to.X, to.Y));
                var (dx, dy) = Mapping.Routing.TriangularTorus.Offsets[k];
                double ux = dx - dy / 2.0, uy = dy * h;                 // the link's direction on the lattice (unit length)
                double ox = uy * 0.08, oy = -ux * 0.08;                 // to its right-hand side
                var line = plt.Add.Line(cx + (ux * 0.12 + ox) * s, cy + (uy * 0.12 + oy) * s, cx + (ux * 0.5 + ox) * s, cy + (uy * 0.5 + oy) * s);
                line.LineColor = packets == 0 ? ScottPlot.Colors.Gray.WithAlpha(0.4) : color(packets);
                line.LineWidth = packets == 0 ? 0.5f : 2.5f;
            }
        }
        return (torus.Height - 1) * h * s + s / 2;
    }
}
