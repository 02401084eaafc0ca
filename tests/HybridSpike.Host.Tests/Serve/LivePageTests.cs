using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Serve;
using PuppeteerSharp;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>
/// The live page in a real browser: Debian's chromium (scripts/install-deps.sh) driven by PuppeteerSharp, headless,
/// against an in-process service with one stream open and pushed to all along; the test reads what the page shows (the
/// version, open streams, heatmap, raster and outputs) and compares it with the service and with the stream's own socket.
/// With HYBRIDSPIKE_LIVE_PAGE_SCREENSHOT set to a path, it writes the page there (docs/serve-live.png) and /v2/telemetry's answer beside it (PATH.telemetry.json).
/// </summary>
public sealed class LivePageTests(LivePageTests.Shown shown) : IClassFixture<LivePageTests.Shown>
{
    /// <summary>The installed browser; never one downloaded.</summary>
    internal const string Chromium = "/usr/bin/chromium";

    /// <summary>What the page showed while the stream ran, and what the service says.</summary>
    public sealed class Shown : IAsyncLifetime
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("hs-live-page-").FullName;

        public string Version { get; private set; } = "";
        public string HubVersion { get; private set; } = "";
        public string OpenStreams { get; private set; } = "";
        public int HubOpenStreams { get; private set; }
        public int Cells { get; private set; }
        public int GridCores { get; private set; }
        public int CellsInUse { get; private set; }
        public int MeshCores { get; private set; }
        public double BusiestLink { get; private set; }
        public int RasterRowsFirst { get; private set; }
        public int RasterRowsLater { get; private set; }
        public long OutputStep { get; private set; }
        public double[] ShownOutputs { get; private set; } = [];
        public double[]? StreamOutputs { get; private set; }
        public string ShownArgmax { get; private set; } = "";
        public int? StreamPrediction { get; private set; }

        public async Task InitializeAsync()
        {
            if (!File.Exists(Chromium))
                throw new InvalidOperationException($"the live page test needs Debian's chromium at {Chromium}: run scripts/install-deps.sh (apt-get install chromium)");
            var model = TestArtifacts.SmallPsMnist(_dir);
            var (inputs, _) = ServeTestKit.Offline(model, 1);
            await using var app = await ServeTestKit.StartAsync(model, 4, 60, null, TextWriter.Null, TimeSpan.FromMilliseconds(250));
            var service = new Uri(app.Addresses[0]);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            using var client = new StreamClient(service);
            await using var stream = await client.OpenAsync(new OpenStreamRequest(null, "wait", null), stop.Token);
            var outputs = new ConcurrentDictionary<long, ServerFrame>();
            var reading = Drain(stream, outputs, stop.Token);
            using var pushing = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            var pushes = Push(stream, inputs[0], pushing.Token);

            await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                // CI runs as root, where chromium's sandbox does not start.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            await using var page = await browser.NewPageAsync();
            await page.SetViewportAsync(new ViewPortOptions { Width = 1400, Height = 860 });
            await page.GoToAsync(service.ToString());
            await WaitFor(page, "document.querySelector('[data-testid=model-version]').textContent !== '–'", "the model version");
            await WaitFor(page, "document.querySelector('[data-testid=open-streams]').textContent === '1'", "one open stream");
            await WaitFor(page, "[...document.querySelectorAll('[data-testid=heatmap-link]')].some(l => Number(l.dataset.packetsPerSecond) > 0)", "a link with traffic");
            Version = await Text(page, "model-version");
            OpenStreams = await Text(page, "open-streams");
            HubVersion = app.Hub.Model.Version;
            HubOpenStreams = app.Hub.OpenStreams;
            Cells = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('[data-testid=heatmap-cell]').length");
            CellsInUse = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('[data-testid=heatmap-cell][data-population]').length");
            var layout = app.Hub.Model.Mesh.Profile.Layout;
            GridCores = layout.Width * layout.Height;
            MeshCores = app.Hub.Model.Mesh.Cores.Length;
            BusiestLink = await page.EvaluateExpressionAsync<double>("Math.max(...[...document.querySelectorAll('[data-testid=heatmap-link]')].map(l => Number(l.dataset.packetsPerSecond)))");
            // The raster scrolls: a row a step of the stream the page chose (the only one), for the population it chose.
            await WaitFor(page, "Number(document.querySelector('[data-testid=raster]').dataset.rows) > 0", "a spike raster row");
            RasterRowsFirst = await page.EvaluateExpressionAsync<int>("Number(document.querySelector('[data-testid=raster]').dataset.rows)");
            await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
            RasterRowsLater = await page.EvaluateExpressionAsync<int>("Number(document.querySelector('[data-testid=raster]').dataset.rows)");
            // The outputs shown, read at one moment with their step, against the frame of that step on the stream's socket.
            await WaitFor(page, "document.querySelector('[data-testid=outputs]').dataset.step !== undefined", "a stream's outputs");
            using (var shownNow = JsonDocument.Parse(await page.EvaluateExpressionAsync<string>(
                "JSON.stringify({ step: Number(document.querySelector('[data-testid=outputs]').dataset.step), argmax: document.querySelector('[data-testid=output-argmax]').textContent, values: [...document.querySelectorAll('[data-testid=outputs] li')].map(li => Number(li.dataset.value)) })")))
            {
                var r = shownNow.RootElement;
                OutputStep = r.GetProperty("step").GetInt64();
                ShownArgmax = r.GetProperty("argmax").GetString()!;
                ShownOutputs = [.. r.GetProperty("values").EnumerateArray().Select(v => v.GetDouble())];
            }
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!outputs.ContainsKey(OutputStep) && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20, stop.Token);
            StreamOutputs = outputs.GetValueOrDefault(OutputStep)?.Outputs;
            StreamPrediction = outputs.GetValueOrDefault(OutputStep)?.Prediction;
            if (Environment.GetEnvironmentVariable("HYBRIDSPIKE_LIVE_PAGE_SCREENSHOT") is { Length: > 0 } path)
            {
                await page.ScreenshotAsync(path, new ScreenshotOptions { FullPage = true });
                // Beside it, the telemetry of that moment (docs/serve.md's example).
                using var http = new HttpClient();
                await File.WriteAllTextAsync(path + ".telemetry.json", await http.GetStringAsync(new Uri(service, "/v2/telemetry"), stop.Token), stop.Token);
            }

            await pushing.CancelAsync();
            try { await pushes; } catch (OperationCanceledException) { }
            await stream.CompleteAsync(stop.Token);
            await reading;
        }

        /// <summary>The digit again and again, 16 steps every 20 ms: the stream stays open and the mesh busy while the page is read.</summary>
        private static async Task Push(ServiceStream stream, double[] digit, CancellationToken cancel)
        {
            const int chunk = 16;
            while (true)
                for (int at = 0; at < digit.Length; at += chunk)
                {
                    await stream.PushAsync(digit.AsMemory(at, Math.Min(chunk, digit.Length - at)), cancel);
                    await Task.Delay(20, cancel);
                }
        }

        /// <summary>The stream's output frames by step, as its socket sends them.</summary>
        private static async Task Drain(ServiceStream stream, ConcurrentDictionary<long, ServerFrame> outputs, CancellationToken cancel)
        {
            await foreach (var f in stream.ReadAllAsync(cancel))
                if (f is { Type: "output", Step: { } step }) outputs[step] = f;
        }

        private static Task<string> Text(IPage page, string id) =>
            page.EvaluateExpressionAsync<string>($"document.querySelector('[data-testid={id}]').textContent");

        /// <summary>Waits until the page shows <paramref name="what"/>; if it never does, fails saying so and what its status line said.</summary>
        private static async Task WaitFor(IPage page, string condition, string what)
        {
            try { await page.WaitForFunctionAsync($"() => {condition}", new WaitForFunctionOptions { Timeout = 20_000, PollingInterval = 100 }); }
            catch (WaitTaskTimeoutException)
            {
                var status = await Text(page, "status");
                throw new TimeoutException($"the live page did not show {what} within 20 s (its status line: '{status}')");
            }
        }

        public Task DisposeAsync()
        {
            Directory.Delete(_dir, recursive: true);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public void The_page_shows_the_version_the_service_serves() => Assert.Equal(shown.HubVersion, shown.Version);

    [Fact]
    public void The_page_shows_the_open_streams_the_service_has() =>
        Assert.Equal(shown.HubOpenStreams.ToString(CultureInfo.InvariantCulture), shown.OpenStreams);

    [Fact]
    public void The_heatmap_has_one_cell_per_core_of_the_grid() => Assert.Equal(shown.GridCores, shown.Cells);

    [Fact]
    public void The_heatmap_marks_the_cores_the_model_uses() => Assert.Equal(shown.MeshCores, shown.CellsInUse);

    [Fact]
    public void A_link_carries_packets_while_the_stream_runs() => Assert.True(shown.BusiestLink > 0, $"busiest link {shown.BusiestLink} packets/s");

    [Fact]
    public void The_spike_raster_gains_rows_as_the_stream_runs() =>
        Assert.True(shown.RasterRowsLater > shown.RasterRowsFirst, $"{shown.RasterRowsFirst} rows, a second later {shown.RasterRowsLater}");

    [Fact]
    public void The_outputs_shown_equal_the_streams_outputs_at_that_step() => Assert.Equal(shown.StreamOutputs, shown.ShownOutputs);

    [Fact]
    public void The_argmax_shown_is_the_streams_prediction_at_that_step() =>
        Assert.Equal(shown.StreamPrediction?.ToString(CultureInfo.InvariantCulture), shown.ShownArgmax);
}
