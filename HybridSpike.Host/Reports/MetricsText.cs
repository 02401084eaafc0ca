using System.Globalization;
using HybridSpike.Core.Metrics;

namespace HybridSpike.Host.Reports;

/// <summary>The metrics table printed by train, eval and the experiments.</summary>
internal static class MetricsText
{
    private static string F(double? v, string format = "0.###") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";

    public static void Write(TextWriter o, MetricsReport r)
    {
        var all = r.Overall;
        o.WriteLine($"accuracy {F(all.Accuracy * 100, "0.00")}%   loss {F(all.Loss, "0.0000")}   samples {all.Samples}   steps {all.StepsPerInference:0}");
        o.WriteLine();
        o.WriteLine($"{"population",-12}{"units",7}{"spiking",9}{"spikes/unit/step",18}{"zero frac",11}{"act bits/seq",14}{"act bits",10}{"sig bits",10}{"syn ops/step",14}");
        foreach (var p in r.Populations)
            o.WriteLine($"{p.Name,-12}{p.Units,7}{(p.IsQuantized ? "yes" : "no"),9}{F(p.SpikesPerUnitPerStep, "0.0000"),18}{F(p.ZeroFraction, "0.000"),11}{F(p.ActivityBitsPerSequence, "0.00"),14}{F(p.ActivityBits, "0.00"),10}{F(p.SignificantBits, "0.00"),10}{F(p.SpikingSynapticOpsPerStep, "0"),14}");
        o.WriteLine($"{"overall",-12}{all.Units,7}{"",9}{F(all.SpikesPerUnitPerStep, "0.0000"),18}{F(all.ZeroFraction, "0.000"),11}{F(all.ActivityBitsPerSequence, "0.00"),14}{F(all.ActivityBits, "0.00"),10}{F(all.SignificantBits, "0.00"),10}{F(all.SpikingSynapticOpsPerStep, "0"),14}");
        o.WriteLine();
        o.WriteLine($"{"device",-12}{"spiking",9}{"syn ops/inference",20}{"energy/inference",18}");
        foreach (var e in r.Energy)
            o.WriteLine($"{e.Device,-12}{(e.IsSpiking ? "yes" : "no"),9}{e.SynapticOpsPerInference,20:0}{Joules(e.Joules),18}");
    }

    public static string Joules(double j) => j switch
    {
        >= 1 => $"{j:0.###} J",
        >= 1e-3 => $"{j * 1e3:0.###} mJ",
        >= 1e-6 => $"{j * 1e6:0.###} µJ",
        _ => $"{j * 1e9:0.###} nJ",
    };
}
