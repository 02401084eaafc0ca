using System.Globalization;
using System.Text;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Host.Reports;

/// <summary>
/// The CSV files of a mesh run's telemetry (docs/telemetry.md documents every column): cores.csv,
/// core-steps.csv, steps.csv, links.csv and hops.csv. Each file's columns are declared once, as
/// (name, value) pairs, so a header cannot drift from its rows.
/// </summary>
internal static class TelemetryFiles
{
    /// <summary>A column: its header name (with its unit when it has one) and its value in a row.</summary>
    private sealed record Column<T>(string Name, Func<T, object?> Value);

    private sealed record CoreStep(int Step, CoreTraffic Core, long Sent, long PayloadSent);

    private static readonly Column<(CoreTraffic Traffic, Placement Placement)>[] CoreColumns =
    [
        new("core", c => c.Traffic.Core),
        new("population", c => c.Placement.Piece.Population),
        new("first_unit", c => c.Placement.Piece.Start),
        new("units", c => c.Placement.Piece.Count),
        new("chip_x", c => c.Placement.Core.ChipX),
        new("chip_y", c => c.Placement.Core.ChipY),
        new("core_x", c => c.Placement.Core.CoreX),
        new("core_y", c => c.Placement.Core.CoreY),
        new("x", c => c.Placement.Core.X),
        new("y", c => c.Placement.Core.Y),
        new("synaptic_events", c => c.Traffic.SynapticEvents),
        new("neuron_updates", c => c.Traffic.NeuronUpdates),
        new("spikes", c => c.Traffic.Spikes),
        new("packets_sent", c => c.Traffic.PacketsSent),
        new("packets_received", c => c.Traffic.PacketsReceived),
    ];

    private static readonly Column<CoreStep>[] CoreStepColumns =
    [
        new("step", s => s.Step),
        new("core", s => s.Core.Core),
        new("synaptic_events", s => s.Core.SynapticEventsPerStep[s.Step]),
        new("neuron_updates", s => s.Core.NeuronUpdatesPerStep[s.Step]),
        new("spikes", s => s.Core.SpikesPerStep[s.Step]),
        new("packets_sent", s => s.Sent),
        new("payload_packets_sent", s => s.PayloadSent),
        new("packets_received", s => s.Core.PacketsReceivedPerStep[s.Step]),
    ];

    private static readonly Column<StepTraffic>[] StepColumns =
    [
        new("step", s => s.Step),
        new("spikes", s => s.Spikes),
        new("packets_sent", s => s.PacketsSent),
        new("payload_packets_sent", s => s.PayloadPacketsSent),
        new("packets_received", s => s.PacketsReceived),
        new("synaptic_events", s => s.SynapticEvents),
        new("neuron_updates", s => s.NeuronUpdates),
        new("intra_chip_packets", s => s.IntraChipPackets),
        new("inter_chip_packets", s => s.InterChipPackets),
        new("hops_east_west", s => s.HopsEastWest),
        new("hops_north_south", s => s.HopsNorthSouth),
        new("energy_synaptic_joules", s => s.Energy.SynapticOpsJoules),
        new("energy_neuron_joules", s => s.Energy.NeuronUpdatesJoules),
        new("energy_tile_joules", s => s.Energy.SpikesInTileJoules),
        new("energy_hop_joules", s => s.Energy.HopsJoules),
        new("energy_joules", s => s.Energy.TotalJoules),
        new("serialization_seconds", s => s.Time.SerializationSeconds),
        new("route_seconds", s => s.Time.RouteSeconds),
        new("barrier_seconds", s => s.Time.BarrierSeconds),
        new("time_seconds", s => s.Time.TotalSeconds),
        new("busiest_link_from_x", s => s.BusiestLink?.FromX),
        new("busiest_link_from_y", s => s.BusiestLink?.FromY),
        new("busiest_link_to_x", s => s.BusiestLink?.ToX),
        new("busiest_link_to_y", s => s.BusiestLink?.ToY),
        new("busiest_link_direction", s => s.BusiestLink?.Direction),
        new("busiest_link_packets", s => s.BusiestLinkPackets),
    ];

    private static readonly Column<LinkLoad>[] LinkColumns =
    [
        new("from_x", l => l.FromX),
        new("from_y", l => l.FromY),
        new("to_x", l => l.ToX),
        new("to_y", l => l.ToY),
        new("direction", l => l.Direction),
        new("crosses_chips", l => l.CrossesChips ? 1 : 0),
        new("packets", l => l.Packets),
        new("mean_packets_per_step", l => l.MeanPacketsPerStep),
        new("peak_packets_per_step", l => l.PeakPacketsPerStep),
        new("peak_step", l => l.PeakStep),
    ];

    private static readonly Column<KeyValuePair<int, long>>[] HopColumns =
    [
        new("hops", h => h.Key),
        new("packets", h => h.Value),
    ];

    /// <summary>The files <see cref="Write"/> writes, in order, with their columns.</summary>
    public static readonly IReadOnlyList<(string File, IReadOnlyList<string> Columns)> Files =
    [
        ("cores.csv", Names(CoreColumns)),
        ("core-steps.csv", Names(CoreStepColumns)),
        ("steps.csv", Names(StepColumns)),
        ("links.csv", Names(LinkColumns)),
        ("hops.csv", Names(HopColumns)),
    ];

    /// <summary>Writes the CSV files of <paramref name="t"/> (a run of <paramref name="mesh"/>) into <paramref name="dir"/>.</summary>
    public static void Write(string dir, CompiledMesh mesh, MeshTelemetry t)
    {
        var placements = mesh.Routed.Placed.Placements;
        WriteCsv(Path.Combine(dir, Files[0].File), CoreColumns, t.Cores.Select(c => (c, placements[c.Core])));
        WriteCsv(Path.Combine(dir, Files[1].File), CoreStepColumns, t.Cores.SelectMany(c =>
        {
            var (sent, payload) = (c.PacketsSentPerStep, c.PayloadPacketsSentPerStep);
            return Enumerable.Range(0, c.Steps).Select(s => new CoreStep(s, c, sent[s], payload[s]));
        }).OrderBy(s => s.Step).ThenBy(s => s.Core.Core));
        WriteCsv(Path.Combine(dir, Files[2].File), StepColumns, t.PerStep);
        WriteCsv(Path.Combine(dir, Files[3].File), LinkColumns, t.Links);
        WriteCsv(Path.Combine(dir, Files[4].File), HopColumns, t.HopHistogram);
    }

    private static string[] Names<T>(Column<T>[] columns) => [.. columns.Select(c => c.Name)];

    private static void WriteCsv<T>(string path, Column<T>[] columns, IEnumerable<T> rows)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.NewLine = "\n";
        w.WriteLine(string.Join(',', columns.Select(c => c.Name)));
        foreach (var row in rows) w.WriteLine(string.Join(',', columns.Select(c => Format(c.Value(row)))));
    }

    /// <summary>Invariant culture; doubles round-trip ("R"); an empty cell for no value; text quoted when it needs it (RFC 4180).</summary>
    private static string Format(object? v) => v switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
