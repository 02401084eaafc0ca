using System.Net;
using System.Text;
using System.Text.Json;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Trainer;

namespace HybridSpike.Host.Tests.Trainer;

/// <summary>What the trainer refuses, and how it reads its folder: no training runs here.</summary>
public sealed class TrainerRequestTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-trainer-req-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private TrainerApp? _trainer;

    private string Jobs => Path.Combine(_dir, "jobs");

    public async Task InitializeAsync() => _trainer = await TrainerTestKit.StartAsync(Jobs);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_trainer is not null) await _trainer.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Uri At(string path) => new(new Uri(_trainer!.Addresses[0]), path);

    private async Task<(HttpStatusCode Status, string Error)> Post(string body)
    {
        using var r = await _http.PostAsync(At("/v2/jobs"), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, r.IsSuccessStatusCode ? "" : JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task A_config_with_a_bad_value_is_400_naming_the_field()
    {
        var (status, error) = await Post("""{ "config": { "model": { "lmu": { "order": 0 } } } }""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("model.lmu.order", error);
    }

    [Fact]
    public async Task A_config_with_an_unknown_field_is_400_naming_it()
    {
        var (status, error) = await Post("""{ "config": { "trainng": { "epochs": 1 } } }""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("trainng", error);
    }

    [Fact]
    public async Task An_override_out_of_range_is_400_naming_its_field()
    {
        var (status, error) = await Post("""{ "config": {}, "epochs": 0 }""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("training.epochs", error);
    }

    [Fact]
    public async Task A_body_without_a_config_is_400()
    {
        var (status, error) = await Post("""{ "epochs": 1 }""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("config: missing", error);
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        var (status, error) = await Post("""{ "config": """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("malformed JSON body", error);
    }

    [Fact]
    public async Task Deploy_true_with_nowhere_to_deploy_is_400()
    {
        var (status, error) = await Post("""{ "config": {}, "deploy": true }""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("deploy: true needs a service", error);
    }

    [Fact]
    public async Task A_refused_job_leaves_no_folder()
    {
        await Post("""{ "config": { "model": { "lmu": { "order": 0 } } } }""");
        Assert.Empty(Directory.GetDirectories(Jobs));
    }

    [Fact]
    public async Task An_unknown_job_is_404_for_get_events_and_delete()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(At("/v2/jobs/nope"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(At("/v2/jobs/nope/events"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.DeleteAsync(At("/v2/jobs/nope"))).StatusCode);
    }

    [Fact]
    public async Task Health_says_live_and_ready()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(At("/v2/health/live"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(At("/v2/health/ready"))).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_job_endpoints()
    {
        var paths = JsonDocument.Parse(await _http.GetStringAsync(At("/openapi/v1.json"))).RootElement.GetProperty("paths");
        Assert.Equal(["/v2/health/live", "/v2/health/ready", "/v2/jobs", "/v2/jobs/{id}", "/v2/jobs/{id}/events"],
            paths.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("--url", "ftp://127.0.0.1:5080", "--url 'ftp://127.0.0.1:5080' is not an http:// address")]
    [InlineData("--urls", "127.0.0.1:5090", "--urls '127.0.0.1:5090' is not an http:// address")]
    [InlineData("--queue", "0", "--queue must be from 1 to 1,024, got 0")]
    public void The_trainer_command_refuses_a_bad_option_by_name(string option, string value, string error)
    {
        var r = CliRunner.Run("trainer", option, value, "--jobs", Path.Combine(_dir, "never"));
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains(error, r.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "never")));
    }

    [Fact]
    public void Job_submit_to_no_trainer_says_so()
    {
        var config = Path.Combine(_dir, "c.json");
        File.WriteAllText(config, "{}");
        var r = CliRunner.Run("job", "submit", "--url", "http://127.0.0.1:1", "--config", config);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains("--url http://127.0.0.1:1/: no trainer answers there", r.Error);
    }

    [Fact]
    public async Task A_corrupt_job_json_is_reported_by_name_skipped_and_left_intact()
    {
        var bad = Directory.CreateDirectory(Path.Combine(_dir, "other", "20200101-000000-abcdef")).FullName;
        var path = Path.Combine(bad, "job.json");
        var bytes = "{ \"id\": \"20200101-000000-abcdef\", \"state\": "u8.ToArray();
        File.WriteAllBytes(path, bytes);
        var log = new StringWriter();
        await using var trainer = await TrainerTestKit.StartAsync(Path.Combine(_dir, "other"), log: log);
        using var client = new TrainerClient(new Uri(trainer.Addresses[0]));
        Assert.Contains($"trainer: {path}: not a readable job", log.ToString());
        Assert.Empty(await client.JobsAsync(CancellationToken.None));
        await trainer.StopAsync();
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task A_job_json_whose_id_is_not_its_folder_is_reported_and_skipped()
    {
        var bad = Directory.CreateDirectory(Path.Combine(_dir, "moved", "20200101-000000-abcdef")).FullName;
        var path = Path.Combine(bad, "job.json");
        File.WriteAllText(path, """{ "id": "20200101-000000-ffffff", "name": "x", "state": "queued", "history": [], "resumed": [] }""");
        var log = new StringWriter();
        await using var trainer = await TrainerTestKit.StartAsync(Path.Combine(_dir, "moved"), log: log);
        Assert.Contains("its id '20200101-000000-ffffff' is not its folder's name '20200101-000000-abcdef'", log.ToString());
    }
}
