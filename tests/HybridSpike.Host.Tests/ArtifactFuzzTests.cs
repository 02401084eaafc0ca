using System.Diagnostics;
using System.Security.Cryptography;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridSpike.Host.Tests;

/// <summary>
/// Seeded mutations of a small artifact (<see cref="TestArtifacts.SmallPsMnist"/>) through <c>compile</c>: byte flips,
/// truncations, appended bytes, type changes, missing keys, absurd sizes, NaN and infinities, wrong shapes. Every case is
/// refused with a one-line bad-input error naming the file (exit 1), or accepted: a file damaged behind its digest's back
/// only when its payload is the original's, a file whose digest was recomputed (a tool that rewrote it) when it is a
/// valid artifact. Never an internal error, a trace or a hang.
/// </summary>
public sealed class ArtifactFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-fuzz-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly MessagePackSerializerOptions Plain = ContractlessStandardResolver.Options;

    /// <summary>How the mutated bytes relate to the digest: left as written (it no longer matches), or recomputed over them.</summary>
    private enum Seal { Stale, Recomputed }

    private sealed record Case(string Name, byte[] Bytes, Seal Seal);

    private static byte[] Resealed(byte[] bytes)
    {
        if (bytes.Length >= 41) ArtifactCommandsTests.Reseal(bytes);
        return bytes;
    }

    /// <summary>The map re-encoded with "digest" last and recomputed, the way a tool that edits the file would write it.</summary>
    private static byte[] Encode(Dictionary<object, object?> root)
    {
        var ordered = new Dictionary<object, object?>();
        foreach (var kv in root) if (!Equals(kv.Key, "digest")) ordered.Add(kv.Key, kv.Value);
        ordered["digest"] = new byte[32];
        return Resealed(MessagePackSerializer.Serialize<object>(ordered, Plain));
    }

    private static Dictionary<object, object?> Decode(byte[] bytes) => (Dictionary<object, object?>)MessagePackSerializer.Deserialize<object>(bytes, Plain)!;

    /// <summary>A place in the decoded tree: a map entry or an array element, with the path that names it.</summary>
    private sealed record Slot(object Container, object Key, string Path)
    {
        public object? Value
        {
            get => Container is Dictionary<object, object?> m ? m[Key] : ((object?[])Container)[(int)Key];
            set { if (Container is Dictionary<object, object?> m) m[Key] = value; else ((object?[])Container)[(int)Key] = value; }
        }

        public string Name => Key as string ?? "";
    }

    private static List<Slot> Slots(object? node, string path = "")
    {
        var all = new List<Slot>();
        if (node is Dictionary<object, object?> map)
            foreach (var key in map.Keys.ToList())
            {
                var at = $"{path}.{key}";
                all.Add(new Slot(map, key, at));
                all.AddRange(Slots(map[key], at));
            }
        else if (node is object?[] array)
            for (int i = 0; i < array.Length; i++)
            {
                var at = $"{path}[{i}]";
                all.Add(new Slot(array, i, at));
                all.AddRange(Slots(array[i], at));
            }
        return all;
    }

    private static readonly object?[] OtherTypes =
        ["text", 12345, -1, null, true, 1.5, new byte[3], new object?[] { 1 }, new Dictionary<object, object?> { ["a"] = 1 }, ulong.MaxValue];

    /// <summary>Sizes that would exhaust memory if believed: run only in a process with a capped heap.</summary>
    private static readonly object[] AbsurdSizes = [int.MaxValue, 1_000_000_000, 100_000_000];

    /// <summary>Sizes at the limits and out of range: cheap even if believed, run in-process.</summary>
    private static readonly object[] EdgeSizes = [1_000_001, 1_000_000, -1, 0, long.MaxValue, uint.MaxValue, long.MinValue];

    private static readonly double[] BadDoubles =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e300, -1e300, 1e12, 0, -4, double.Epsilon];

    private static readonly string[] SizeFields = ["size", "rows", "cols", "dimensions", "epochs", "schema_version"];

    /// <summary>The mutations of <paramref name="original"/>, from a fixed seed: the same cases on every run.</summary>
    private static List<Case> Mutations(byte[] original, int seed, int perKind)
    {
        var g = new Random(seed);
        var cases = new List<Case>();
        var payload = original.Length - 41;
        for (int i = 0; i < perKind; i++)
        {
            // Raw damage the digest must catch.
            var flipped = (byte[])original.Clone();
            int flips = 1 + g.Next(3);
            for (int k = 0; k < flips; k++) flipped[g.Next(flipped.Length)] ^= (byte)(1 + g.Next(255));
            cases.Add(new($"flip-{i}", flipped, Seal.Stale));
            cases.Add(new($"cut-{i}", original[..g.Next(original.Length)], Seal.Stale));
            var extra = new byte[1 + g.Next(64)];
            g.NextBytes(extra);
            cases.Add(new($"append-{i}", [.. original, .. extra], Seal.Stale));

            // The same damage with the digest recomputed: the structure itself must be checked.
            var deep = (byte[])original.Clone();
            for (int k = 0; k < flips; k++) deep[g.Next(payload)] ^= (byte)(1 + g.Next(255));
            cases.Add(new($"flip-resealed-{i}", Resealed(deep), Seal.Recomputed));
            var head = original[..g.Next(payload)];
            cases.Add(new($"cut-resealed-{i}", Resealed([.. head, .. original[^41..]]), Seal.Recomputed));

            cases.Add(new($"type-{i}", Structural(original, g, (slots, _) =>
            {
                var s = slots[g.Next(slots.Count)];
                s.Value = OtherTypes[g.Next(OtherTypes.Length)];
            }), Seal.Recomputed));
            cases.Add(new($"missing-{i}", Structural(original, g, (slots, root) =>
            {
                var maps = slots.Where(s => s.Container is Dictionary<object, object?>).ToList();
                var s = maps[g.Next(maps.Count)];
                ((Dictionary<object, object?>)s.Container).Remove(s.Key);
            }), Seal.Recomputed));
            cases.Add(new($"nonfinite-{i}", Structural(original, g, (slots, _) =>
            {
                var targets = slots.Where(s => s.Name == "omega" || s.Value is byte[] { Length: >= 8 } && s.Name is "bias" or "values").ToList();
                var s = targets[g.Next(targets.Count)];
                double bad = BadDoubles[g.Next(BadDoubles.Length)];
                if (s.Value is byte[] blob)
                {
                    var copy = (byte[])blob.Clone();
                    BitConverter.GetBytes(bad).CopyTo(copy, 8 * g.Next(copy.Length / 8));
                    s.Value = copy;
                }
                else s.Value = bad;
            }), Seal.Recomputed));
            cases.Add(new($"size-{i}", Structural(original, g, (slots, _) =>
            {
                var sizes = slots.Where(s => SizeFields.Contains(s.Name)).ToList();
                sizes[g.Next(sizes.Count)].Value = EdgeSizes[g.Next(EdgeSizes.Length)];
            }), Seal.Recomputed));
            cases.Add(new($"shape-{i}", Structural(original, g, (slots, _) =>
            {
                var blobs = slots.Where(s => s.Value is byte[] && s.Name != "digest").ToList();
                var s = blobs[g.Next(blobs.Count)];
                var blob = (byte[])s.Value!;
                s.Value = g.Next(3) switch
                {
                    0 => blob[..Math.Max(0, blob.Length - 8)],
                    1 => [.. blob, .. new byte[8]],
                    _ => blob[..Math.Max(0, blob.Length - 1 - g.Next(7))],
                };
            }), Seal.Recomputed));
        }
        return cases;
    }

    /// <summary>Absurd sizes and lengths: what would exhaust memory if it were believed.</summary>
    private static List<Case> AbsurdMutations(byte[] original)
    {
        var cases = new List<Case>();
        var paths = Slots(Decode(original)).Where(s => SizeFields.Contains(s.Name)).Select(s => s.Path).ToList();
        foreach (var path in paths)
            foreach (var size in AbsurdSizes)
                cases.Add(new($"size{path}={size}", Structural(original, null, (slots, _) => slots.Single(s => s.Path == path).Value = size), Seal.Recomputed));
        // Sizes the file does back: an empty sparse connection needs no bytes for its rows, an empty bias none for its
        // units, so only the limits stand between these and a 10^9-unit allocation.
        foreach (var size in AbsurdSizes)
        {
            cases.Add(new($"sparse-output={size}", Structural(original, null, (slots, root) =>
            {
                var network = (Dictionary<object, object?>)root["network"]!;
                ((Dictionary<object, object?>)((object?[])network["populations"]!)[1]!)["size"] = size;
                var into = (Dictionary<object, object?>)((object?[])network["connections"]!)[2]!;
                into["weights"] = EmptySparse(size, 20);
            }), Seal.Recomputed));
            cases.Add(new($"sparse-input={size}", Structural(original, null, (slots, root) =>
            {
                var network = (Dictionary<object, object?>)root["network"]!;
                ((Dictionary<object, object?>)network["input"]!)["dimensions"] = size;
                var from = (Dictionary<object, object?>)((object?[])network["connections"]!)[0]!;
                from["weights"] = EmptySparse(20, size);
            }), Seal.Recomputed));
        }
        // Every bin's length header made to claim 4 GiB (then bytes left, then a bin8 claiming 255).
        for (int at = 0, n = 0; at < original.Length - 41 && n < 12; at++)
        {
            if (original[at] is not (0xc4 or 0xc5)) continue;
            int header = original[at] == 0xc4 ? 2 : 3;
            byte[] huge = [0xc6, 0xff, 0xff, 0xff, 0xff];
            cases.Add(new($"bin32-at-{at}", Resealed([.. original[..at], .. huge, .. original[(at + header)..]]), Seal.Recomputed));
            n++;
        }
        return cases;
    }

    private static Dictionary<object, object?> EmptySparse(object rows, object cols) => new()
    {
        ["kind"] = "sparse", ["rows"] = rows, ["cols"] = cols, ["target"] = Array.Empty<byte>(), ["source"] = Array.Empty<byte>(), ["values"] = Array.Empty<byte>(),
    };

    private static byte[] Structural(byte[] original, Random? g, Action<List<Slot>, Dictionary<object, object?>> edit)
    {
        var root = Decode(original);
        edit(Slots(root), root);
        return Encode(root);
    }

    /// <summary>What went wrong with one case, or null when the outcome is one the header allows.</summary>
    private static string? Judge(Case c, string file, byte[] original, int exitCode, string error)
    {
        var lines = error.Trim().Split('\n');
        if (exitCode == 0)
        {
            if (c.Seal == Seal.Stale && !c.Bytes.AsSpan().SequenceEqual(original))
                return $"{c.Name}: accepted though its bytes differ from the original and its digest was not recomputed";
            return null;
        }
        if (exitCode != Cli.BadInput) return $"{c.Name}: exit {exitCode}: {error.Trim()}";
        if (lines.Length != 1 || !lines[0].StartsWith($"error: {file}:")) return $"{c.Name}: not one line naming the file: {error.Trim()}";
        if (error.Contains("   at ")) return $"{c.Name}: a stack trace: {error.Trim()}";
        return null;
    }

    [Fact]
    public async Task Every_mutated_artifact_is_refused_naming_the_file_or_accepted_only_with_its_digest_intact()
    {
        var original = File.ReadAllBytes(TestArtifacts.SmallPsMnist(_dir));
        var cases = Mutations(original, seed: 12, perKind: 40);   // 440 cases
        var failures = new List<string>();
        var outcomes = new Dictionary<int, int>();
        foreach (var (c, i) in cases.Select((c, i) => (c, i)))
        {
            var file = Path.Combine(_dir, $"case-{i}.hsa");
            File.WriteAllBytes(file, c.Bytes);
            var run = Task.Run(() => CliRunner.Run("compile", "--model", file, "--json"));
            if (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))) != run) { failures.Add($"{c.Name}: no answer within 30 s"); break; }
            var r = await run;
            outcomes[r.ExitCode] = outcomes.GetValueOrDefault(r.ExitCode) + 1;
            if (Judge(c, file, original, r.ExitCode, r.Error) is { } failure) failures.Add(failure);
        }
        Assert.Empty(failures);
        Assert.True(outcomes.GetValueOrDefault(Cli.BadInput) > cases.Count / 2, $"outcomes {string.Join(", ", outcomes)}: most mutations should be refused");
    }

    [Fact]
    public void Absurd_sizes_are_refused_within_a_512_MiB_heap_naming_the_file()
    {
        var original = File.ReadAllBytes(TestArtifacts.SmallPsMnist(_dir));
        var cases = AbsurdMutations(original);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(cases.Select((c, i) => (c, i)), new ParallelOptions { MaxDegreeOfParallelism = 2 }, item =>
        {
            var (c, i) = item;
            var file = Path.Combine(_dir, $"absurd-{i}.hsa");
            File.WriteAllBytes(file, c.Bytes);
            var (code, error) = RunUnderHeapLimit(file);
            if (Judge(c, file, original, code, error) is { } failure) failures.Add(failure);
        });
        Assert.Empty(failures);
    }

    /// <summary><c>hybridspike compile --model FILE --json</c> in a process whose GC heap is capped at 512 MiB.</summary>
    private static (int ExitCode, string Error) RunUnderHeapLimit(string file)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x20000000";
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "hybridspike.dll"), "compile", "--model", file, "--json" }) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"no answer within 60 s: {file}");
        }
        stdout.GetAwaiter().GetResult();
        return (p.ExitCode, stderr.GetAwaiter().GetResult());
    }
}
