using System.Collections.Immutable;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Actors.Tests.Contract;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Serve;

namespace HybridSpike.Host.Tests.Contract;

/// <summary>
/// The service's clause of the contract: streams opened, pushed in chunks and closed concurrently over the wire (JSON
/// and MessagePack frames, readers that lag, more streams than slots: the refused ones retry) each give the outputs
/// of their input run alone offline, bit for bit, on the generated networks, profiles and placements of the
/// resident mesh's clauses (tests/HybridSpike.Actors.Tests/Contract). The service compiles the artifact itself from
/// a profile file, as <c>serve --profile FILE</c> does.
/// </summary>
public sealed class ServiceContract
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    [Property(MaxTest = 10)]
    public Property Streams_over_the_wire_each_give_their_offline_outputs() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), ScheduleGen.Arbitrary(16), (c, schedule) =>
        {
            // The service lowers identity connections as every compile does (CompileOptions.Default).
            var mesh = (c with { Lower = true }).Compile();
            int dims = mesh.Network.Input.Dimensions;
            var inputs = schedule.Streams.Select(s => s.Inputs(dims)).ToArray();
            var expected = schedule.Streams.Select((s, i) => ResidentMeshContract.Offline(mesh, inputs[i], dims, s.Reads)).ToArray();
            if (expected.Any(e => e is null)) return Prop.ToProperty(true).Classify(true, "overflows: skipped");
            var dir = Directory.CreateTempSubdirectory("hs-service-contract-");
            try
            {
                var model = Path.Combine(dir.FullName, "contract.hsa");
                ArtifactFile.Write(model, ModelArtifact.Create(c.Network(), new Provenance("contract", "{}", "contract",
                    ImmutableDictionary<string, ulong>.Empty, 0, "2026-01-01T00:00:00Z", Provenance.CurrentToolVersion, "")));
                var profile = Path.Combine(dir.FullName, "profile.json");
                File.WriteAllText(profile, mesh.Profile.ToJson());
                PlacementChoice placement = c.PlacementSeed is { } seed ? new PlacementChoice.Random(seed) : new PlacementChoice.Sequential();
                var options = new ServeOptions(model, new CompileTarget(profile, c.Exponents, placement), "http://127.0.0.1:0",
                    schedule.Slots, TimeSpan.FromMinutes(1), null);
                using var timeout = new CancellationTokenSource(CaseTimeout);
                var outputs = Task.Run(async () =>
                {
                    await using var service = await ServeApp.StartAsync(options, TextWriter.Null, timeout.Token);
                    using var client = new StreamClient(new Uri(service.Addresses[0]));
                    return await Task.WhenAll(schedule.Streams.Select((s, i) => RunStream(client, s, inputs[i], dims, i % 2 == 0 ? "json" : "msgpack", timeout.Token)));
                }).GetAwaiter().GetResult();
                for (int i = 0; i < outputs.Length; i++)
                    ResidentMeshContract.SameOutputs(expected[i]!, outputs[i], $"the service, stream #{i} of {schedule}\ncase: {c}");
            }
            finally { dir.Delete(true); }
            return Prop.ToProperty(true)
                .Classify(schedule.Slots < schedule.Streams.Length, "streams retry for a slot")
                .Classify(schedule.Streams.Any(s => s.Chunks.Length > 1), "chunked input")
                .Classify(schedule.Streams.Length > 1, "several streams");
        });

    /// <summary>Opens (retrying while every slot is taken: the service answers 429), pushes the chunks, closes, and collects the output frames.</summary>
    private static async Task<List<(long Step, IReadOnlyList<double> Activity)>> RunStream(StreamClient client, StreamSpec s, double[] inputs, int dims, string frames, CancellationToken cancel)
    {
        ServiceStream stream;
        while (true)
        {
            try
            {
                stream = await client.OpenAsync(new OpenStreamRequest(s.Reads, "wait", frames), cancel);
                break;
            }
            catch (StreamServiceException e) when (e.Status == HttpStatusCode.TooManyRequests) { await Task.Delay(20, cancel); }
        }
        await using (stream)
        {
            var outputs = new List<(long, IReadOnlyList<double>)>();
            var reading = Task.Run(async () =>
            {
                await foreach (var f in stream.ReadAllAsync(cancel))
                {
                    if (f.Type == "error") throw new ContractViolation($"the service refused a frame: {f.Message}");
                    if (f.Type != "output") continue;
                    outputs.Add((f.Step!.Value, f.Outputs!));
                    if (s.ReadPauseMs > 0) await Task.Delay(s.ReadPauseMs, cancel);
                }
            }, cancel);
            int at = 0;
            foreach (var chunk in s.Chunks)
            {
                if (s.DelayMs > 0) await Task.Delay(s.DelayMs, cancel);
                await stream.PushAsync(inputs.AsMemory(at * dims, chunk * dims), cancel);
                at += chunk;
            }
            await stream.CompleteAsync(cancel);
            await reading;
            return outputs;
        }
    }
}
