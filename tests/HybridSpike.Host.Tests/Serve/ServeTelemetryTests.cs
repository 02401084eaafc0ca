using System.Collections.Immutable;
using System.Globalization;
using System.Net.Http.Json;
using Akka.Actor;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Hosting;
using HybridSpike.Host.Serve;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>
/// The service's polled telemetry against the offline mesh's: a few digits streamed through an in-process service
/// (telemetry every 100 ms), then /metrics and /v2/telemetry read once every stream step is counted; the same digits
/// run offline through <c>MeshRuntime.RunWithTelemetryAsync</c>.
/// </summary>
public sealed class ServeTelemetryTests(ServeTelemetryTests.Streamed run) : IClassFixture<ServeTelemetryTests.Streamed>
{
    private const int Digits = 3;

    /// <summary>The digits streamed once for the whole class, and what the service and the offline mesh said.</summary>
    public sealed class Streamed : IAsyncLifetime
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("hs-serve-telemetry-").FullName;

        public TelemetryResponse Telemetry { get; private set; } = null!;
        public string Metrics { get; private set; } = "";
        public MeshTelemetry Offline { get; private set; } = null!;
        public CompiledMesh Mesh { get; private set; } = null!;
        public int Steps { get; private set; }

        public async Task InitializeAsync()
        {
            var model = TestArtifacts.SmallPsMnist(_dir);
            var (inputs, _) = ServeTestKit.Offline(model, Digits);
            Steps = inputs[0].Length;
            Mesh = Compiler.Compile(ArtifactFile.Read(model).Network, Mapping.Profiles.Profiles.Get("loihi"), new SequentialPlacement());
            using (var system = ActorSystem.Create("serve-telemetry-offline", MeshHosting.LocalConfig()))
                Offline = (await MeshRuntime.RunWithTelemetryAsync(system, Mesh, [.. inputs.SelectMany(i => i)], Digits, Steps, null, CancellationToken.None)).Telemetry;

            await using var app = await ServeTestKit.StartAsync(model, 4, 60, null, TextWriter.Null, TimeSpan.FromMilliseconds(100));
            var service = new Uri(app.Addresses[0]);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await ServeTestKit.StreamAllAsync(service, inputs, timeout.Token);
            using var http = new HttpClient();
            // Every stream step is counted once a round after the last has run: until then the totals lag.
            do
            {
                await Task.Delay(50, timeout.Token);
                Telemetry = (await http.GetFromJsonAsync<TelemetryResponse>(new Uri(service, "/v2/telemetry"), StreamSocket.Json, timeout.Token))!;
            } while (Telemetry.Totals.Steps < (long)Digits * Steps);
            Metrics = await http.GetStringAsync(new Uri(service, "/metrics"), timeout.Token);
        }

        public Task DisposeAsync()
        {
            Directory.Delete(_dir, recursive: true);
            return Task.CompletedTask;
        }
    }

    private static double? Value(string text, string series) =>
        text.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => (double?)double.Parse(l[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();

    [Fact]
    public void The_stream_steps_counted_are_every_step_of_every_digit() =>
        Assert.Equal((long)Digits * run.Steps, run.Telemetry.Totals.Steps);

    [Fact]
    public void The_spikes_total_in_metrics_equals_the_offline_meshs_spikes_for_the_same_digits() =>
        Assert.Equal((double?)run.Offline.Spikes, Value(run.Metrics, "hybridspike_serve_spikes_total"));

    [Fact]
    public void The_telemetry_endpoints_spikes_total_equals_the_offline_meshs() =>
        Assert.Equal(run.Offline.Spikes, run.Telemetry.Totals.Spikes);

    [Fact]
    public void The_energy_per_inference_equals_the_offline_reports() =>
        Assert.Equal(run.Offline.EnergyPerInference, run.Telemetry.EnergyPerInferenceJoules!.Value, run.Offline.EnergyPerInference * 1e-9);

    [Fact]
    public void The_energy_per_inference_gauge_equals_the_offline_reports() =>
        Assert.Equal(run.Offline.EnergyPerInference, Value(run.Metrics, "hybridspike_serve_energy_per_inference_joules")!.Value, run.Offline.EnergyPerInference * 1e-9);

    [Fact]
    public void The_energy_total_equals_the_offline_meshs() =>
        Assert.Equal(run.Offline.EnergyJoules, Value(run.Metrics, "hybridspike_serve_energy_joules_total")!.Value, run.Offline.EnergyJoules * 1e-9);

    [Fact]
    public void Packets_within_a_chip_equal_the_offline_meshs() =>
        Assert.Equal((double?)run.Offline.IntraChipPackets, Value(run.Metrics, $$"""hybridspike_serve_packets_total{link="{{ServeMetrics.WithinChip}}"}"""));

    [Fact]
    public void Packets_between_chips_equal_the_offline_meshs() =>
        Assert.Equal((double?)run.Offline.InterChipPackets, Value(run.Metrics, $$"""hybridspike_serve_packets_total{link="{{ServeMetrics.BetweenChips}}"}"""));

    [Fact]
    public void The_synaptic_events_total_equals_the_offline_meshs() =>
        Assert.Equal((double?)run.Offline.SynapticEvents, Value(run.Metrics, "hybridspike_serve_synaptic_events_total"));

    [Fact]
    public void The_hops_total_is_the_offline_meshs_link_traversals() =>
        Assert.Equal((double?)run.Offline.PerStep.Sum(s => s.HopsEastWest + s.HopsNorthSouth), Value(run.Metrics, "hybridspike_serve_hops_total"));

    [Fact]
    public void The_telemetry_lists_every_core_of_the_serving_mesh_at_its_place() =>
        Assert.Equal(run.Mesh.Cores.Select(c => new TelemetryCore(c.X, c.Y, c.Population)), run.Telemetry.Cores);

    [Fact]
    public void The_telemetry_grid_is_the_profiles_layout() =>
        Assert.Equal(new TelemetryGrid(2, 1, 16, 8, 32, 8), run.Telemetry.Grid);
}

/// <summary>A mesh retired by a deployment: its counts since the last round are taken before it stops.</summary>
public sealed class RetiredMeshTelemetryTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-serve-retired-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_retired_meshs_last_steps_are_counted_though_no_poll_came_before_it_stopped()
    {
        var first = TestArtifacts.SmallPsMnist(Directory.CreateDirectory(Path.Combine(_dir, "v1")).FullName);
        var second = TestArtifacts.PsMnist(Directory.CreateDirectory(Path.Combine(_dir, "v2")).FullName, 20, 1.0, 0.5);
        var (inputs, _) = ServeTestKit.Offline(first, 1);
        // An interval no test reaches: only the retirement collects.
        await using var app = await ServeTestKit.StartAsync(first, 2, 60, null, TextWriter.Null, TimeSpan.FromHours(1));
        var service = new Uri(app.Addresses[0]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await ServeTestKit.StreamAllAsync(service, inputs, timeout.Token);
        using var client = new StreamClient(service);
        await client.DeployAsync(await File.ReadAllBytesAsync(second, timeout.Token), timeout.Token);
        long steps;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await Task.Delay(50, timeout.Token);
            steps = app.Telemetry.Snapshot().Totals.Steps;
        } while (steps == 0 && waited.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal(inputs[0].Length, steps);
    }
}

/// <summary><c>serve --telemetry-interval</c>: its range, refused by name.</summary>
public sealed class TelemetryIntervalOptionTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("0.05")]
    [InlineData("3601")]
    public void An_interval_outside_its_range_is_refused_by_name(string seconds)
    {
        var c = new ServeCommand();
        Assert.StartsWith("--telemetry-interval must be from 0.1 to 3,600 seconds", Assert.Throws<ArgumentException>(() => c.Parse(c.Command.Parse(["--model", "m", "--telemetry-interval", seconds]))).Message);
    }

    [Fact]
    public void The_interval_given_is_the_services()
    {
        var c = new ServeCommand();
        Assert.Equal(TimeSpan.FromSeconds(2.5), c.Parse(c.Command.Parse(["--model", "m", "--telemetry-interval", "2.5"])).TelemetryInterval);
    }
}
