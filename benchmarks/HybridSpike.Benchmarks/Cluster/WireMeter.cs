using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Serialization;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment.Serialization;
using HybridSpike.Actors.Runtime.Serialization;

namespace HybridSpike.Benchmarks.Cluster;

/// <summary>
/// What crossed between the nodes of this process's clusters, counted where it is serialized: Akka serializes a message
/// only when it goes to an actor of another actor system (remoting), never between actors of one system, so every
/// <c>ToBinary</c> of the mesh's serializers is one message on the wire between two nodes. Counted per manifest: messages,
/// their serialized bytes, and for the step's payloads the mesh steps they belong to and the spikes they carry. The
/// bytes are the message bodies; Akka's envelope (recipient and sender paths, serializer id, manifest, frame length) is
/// not in them, which is why <see cref="TcpCounters"/> also reads the sockets.
/// </summary>
internal static class WireMeter
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, (long Messages, long Bytes)> ByManifest = [];
    private static long s_minStep = long.MaxValue, s_maxStep = long.MinValue, s_spikes, s_nonzero;

    /// <summary>Per population index: its payloads are spike counts (quantized) rather than fixed-point activities.</summary>
    public static bool[] Quantized { get; set; } = [];

    public static void Reset()
    {
        lock (Gate)
        {
            ByManifest.Clear();
            s_minStep = long.MaxValue;
            s_maxStep = long.MinValue;
            s_spikes = s_nonzero = 0;
        }
    }

    public static void Count(string manifest, object message, int bytes)
    {
        lock (Gate)
        {
            ByManifest[manifest] = ByManifest.TryGetValue(manifest, out var c) ? (c.Messages + 1, c.Bytes + bytes) : (1, bytes);
            if (message is Payloads p)
            {
                s_minStep = Math.Min(s_minStep, p.Header.Step);
                s_maxStep = Math.Max(s_maxStep, p.Header.Step);
                bool counts = p.Population < Quantized.Length && Quantized[p.Population];
                foreach (var v in p.Values)
                {
                    if (v == 0) continue;
                    s_nonzero++;
                    // A quantized unit's payload is its graded spike count: |v| spikes (a count of -2 is two spikes).
                    if (counts) s_spikes += Math.Abs(v);
                }
            }
        }
    }

    /// <summary>The counts since the last <see cref="Reset"/>.</summary>
    public static WireCount Take()
    {
        lock (Gate)
            return new WireCount(ByManifest.ToDictionary(kv => kv.Key, kv => kv.Value),
                s_maxStep >= s_minStep ? s_maxStep - s_minStep + 1 : 0, s_spikes, s_nonzero);
    }
}

/// <summary>Messages and bytes between nodes per manifest (RuntimeSerializer's: P payloads, PG progress, TS/ST recovery points, …; deployment's: H… ).</summary>
/// <param name="MeshSteps">Mesh steps whose payloads crossed (last − first + 1).</param>
/// <param name="Spikes">Spikes carried by the payloads that crossed (the sum of |count| of quantized units).</param>
/// <param name="NonzeroPayloads">Nonzero payload values that crossed (spike counts and activities).</param>
internal sealed record WireCount(Dictionary<string, (long Messages, long Bytes)> ByManifest, long MeshSteps, long Spikes, long NonzeroPayloads)
{
    public long Messages(params string[] manifests) => ByManifest.Where(kv => manifests.Length == 0 || manifests.Contains(kv.Key)).Sum(kv => kv.Value.Messages);

    public long Bytes(params string[] manifests) => ByManifest.Where(kv => manifests.Length == 0 || manifests.Contains(kv.Key)).Sum(kv => kv.Value.Bytes);
}

/// <summary>
/// A wire serializer, counted (<see cref="WireMeter"/>): the same bytes under the same identifier, so that a node without
/// it reads them; its manifests are counted with <paramref name="prefix"/>.
/// </summary>
public abstract class CountingSerializer(ExtendedActorSystem system, SerializerWithStringManifest inner, string prefix) : SerializerWithStringManifest(system)
{
    public override int Identifier => inner.Identifier;

    public override string Manifest(object o) => inner.Manifest(o);

    public override byte[] ToBinary(object obj)
    {
        var bytes = inner.ToBinary(obj);
        WireMeter.Count(prefix + inner.Manifest(obj), obj, bytes.Length);
        return bytes;
    }

    public override object FromBinary(byte[] bytes, string manifest) => inner.FromBinary(bytes, manifest);
}

/// <summary>The step protocol's serializer, counted; put in place of RuntimeSerializer by name (akka.actor.serializers.hybridspike-runtime).</summary>
public sealed class CountingRuntimeSerializer(ExtendedActorSystem system) : CountingSerializer(system, new RuntimeSerializer(system), "");

/// <summary>Core hosting's serializer (weights, wiring), counted like <see cref="CountingRuntimeSerializer"/>; its manifests are prefixed "deploy:".</summary>
public sealed class CountingDeploymentSerializer(ExtendedActorSystem system) : CountingSerializer(system, new DeploymentSerializer(system), "deploy:");

/// <summary>
/// Bytes on the loopback TCP connections between the cluster's nodes, from the kernel's own counters (<c>ss -tin</c>:
/// bytes_sent and bytes_received of each connection): everything Akka.Remote sends, envelopes, heartbeats and gossip
/// included. Each connection is read at its client end (the peer port is a node's, the local one is not), so it is
/// counted once, both directions.
/// </summary>
internal static class TcpCounters
{
    /// <summary>Cumulative bytes per connection (local → peer), or null when ss is missing or shows nothing.</summary>
    public static Dictionary<string, long>? Read(IReadOnlyCollection<int> nodePorts)
    {
        string text;
        try
        {
            var start = new ProcessStartInfo("ss", "-tinH state established") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var ss = Process.Start(start)!;
            text = ss.StandardOutput.ReadToEnd();
            ss.WaitForExit();
            if (ss.ExitCode != 0) return null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
        var result = new Dictionary<string, long>();
        string? connection = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // A connection's line (Recv-Q Send-Q local peer) starts the line; its counters follow on the next, indented.
            if (!char.IsWhiteSpace(raw[0]) && fields.Length >= 4)
            {
                int local = Port(fields[2]), peer = Port(fields[3]);
                connection = nodePorts.Contains(peer) && !nodePorts.Contains(local) ? $"{fields[2]}>{fields[3]}" : null;
                continue;
            }
            if (connection is null) continue;
            long sent = Field(fields, "bytes_sent:"), received = Field(fields, "bytes_received:");
            result[connection] = sent + received;
            connection = null;
        }
        return result.Count == 0 ? null : result;
    }

    /// <summary>Bytes between two readings (a connection opened in between counts from zero).</summary>
    public static long? Between(Dictionary<string, long>? before, Dictionary<string, long>? after)
    {
        if (after is null) return null;
        return after.Sum(kv => kv.Value - (before is not null && before.TryGetValue(kv.Key, out var b) ? b : 0));
    }

    private static int Port(string endpoint) => int.TryParse(endpoint[(endpoint.LastIndexOf(':') + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : -1;

    private static long Field(string[] fields, string name)
    {
        foreach (var f in fields)
            if (f.StartsWith(name, StringComparison.Ordinal) && long.TryParse(f[name.Length..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) return v;
        return 0;
    }
}
