using System.Globalization;
using System.Text;
using HybridSpike.Training.Config;

namespace HybridSpike.Training.Tests.Config;

public sealed class TrainingConfigJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The JSON that sets the field at a dotted path, e.g. "model.lmu.order" → {"model":{"lmu":{"order":V}}}.</summary>
    private static string Nest(string path, string value) =>
        path.Split('.').Reverse().Aggregate(value, (inner, name) => $$"""{"{{name}}":{{inner}}}""");

    private string File(byte[] bytes)
    {
        var path = Path.Combine(_dir, "config.json");
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("model")]
    [InlineData("model.lmu")]
    [InlineData("model.lmu.weights")]
    [InlineData("model.lmu.hiddenQuantizer")]
    [InlineData("model.lmu.memoryQuantizer")]
    [InlineData("model.rnn")]
    [InlineData("schedule")]
    [InlineData("training")]
    [InlineData("data")]
    [InlineData("name")]
    [InlineData("model.kind")]
    [InlineData("model.lmu.order")]
    [InlineData("data.dataset")]
    public void A_null_section_or_value_is_refused_naming_its_path(string path)
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(Nest(path, "null"), "my.json"));
        Assert.Equal($"my.json: {path} is null; give a value or leave it out for the default", e.Message);
    }

    [Fact]
    public void A_null_data_directory_means_the_datasets_default_one()
    {
        Assert.Null(TrainingConfig.Parse("""{"data":{"dataDirectory":null}}""", "my.json").Data.DataDirectory);
    }

    [Theory]
    [InlineData("""{"model":{"lmu":{"order":1000000}}}""", "model.lmu.order must be from 1 to 1,024, got 1,000,000")]
    [InlineData("""{"model":{"lmu":{"order":0}}}""", "model.lmu.order must be from 1 to 1,024, got 0")]
    [InlineData("""{"model":{"lmu":{"order":10000000000}}}""", "model.lmu.order must be from 1 to 1,024, got 10,000,000,000")]
    [InlineData("""{"model":{"lmu":{"hidden":16385}}}""", "model.lmu.hidden must be from 1 to 16,384, got 16,385")]
    [InlineData("""{"model":{"lmu":{"theta":0.5}}}""", "model.lmu.theta must be from 1 to 1,000,000, got 0.5")]
    [InlineData("""{"model":{"lmu":{"theta":1e7}}}""", "model.lmu.theta must be from 1 to 1,000,000, got 10,000,000")]
    [InlineData("""{"model":{"kind":"gru","rnn":{"hidden":100000}}}""", "model.rnn.hidden must be from 1 to 16,384, got 100,000")]
    [InlineData("""{"model":{"classes":1}}""", "model.classes must be from 2 to 65,536, got 1")]
    [InlineData("""{"schedule":{"steps":0}}""", "schedule.steps must be from 1 to 10,000, got 0")]
    [InlineData("""{"training":{"epochs":1000001}}""", "training.epochs must be from 1 to 1,000,000, got 1,000,001")]
    [InlineData("""{"training":{"batchSize":65537}}""", "training.batchSize must be from 1 to 65,536, got 65,537")]
    [InlineData("""{"training":{"batchSize":1e300}}""", "training.batchSize must be from 1 to 65,536, got 1E+300")]
    [InlineData("""{"training":{"maxBatchesPerEpoch":-1}}""", "training.maxBatchesPerEpoch must be 0 (all) or from 1 to 1,000,000, got -1")]
    [InlineData("""{"training":{"threads":2000}}""", "training.threads must be 0 (all cores) or from 1 to 1,024, got 2,000")]
    [InlineData("""{"data":{"trainLimit":2000000}}""", "data.trainLimit must be 0 (all) or from 1 to 1,000,000, got 2,000,000")]
    [InlineData("""{"data":{"testLimit":-5}}""", "data.testLimit must be 0 (all) or from 1 to 100,000, got -5")]
    public void A_size_outside_its_range_is_refused_naming_the_field_and_the_range(string json, string message)
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(json, "my.json"));
        Assert.Equal("my.json: " + message, e.Message);
    }

    [Fact]
    public void An_omega_whose_counts_cannot_fit_an_int32_is_refused_before_training()
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse("""{"model":{"lmu":{"hiddenQuantizer":{"enabled":true,"omegaStart":1e12}}}}""", "my.json"));
        Assert.Equal("my.json: model.lmu.hiddenQuantizer.omegaStart: ω must be at most 2,147,483,646, got 1000000000000", e.Message);
    }

    [Fact]
    public void A_fraction_in_a_whole_number_field_is_refused_saying_so()
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse("""{"model":{"lmu":{"order":1.5}}}""", "my.json"));
        Assert.Equal("my.json: model.lmu.order must be a whole number, got 1.5", e.Message);
    }

    public static TheoryData<string> Ranges() => [.. ConfigLimits.All.Select(r => r.Field)];

    [Theory]
    [MemberData(nameof(Ranges))]
    public void The_largest_value_of_each_range_is_accepted(string field)
    {
        var range = ConfigLimits.All.Single(r => r.Field == field);
        var json = Nest(field, range.Maximum.ToString(CultureInfo.InvariantCulture));
        if (field.StartsWith("model.rnn.", StringComparison.Ordinal)) json = json.Replace("""{"model":{""", """{"model":{"kind":"gru",""");
        TrainingConfig.Parse(json, "my.json");
    }

    [Fact]
    public void Invalid_UTF8_is_refused_naming_the_file_and_the_byte_offset()
    {
        // {"name": "a then 0xC3 0x28 (a lead byte followed by no continuation byte) at offset 11.
        var path = File([.. Encoding.ASCII.GetBytes("{\"name\": \"a"), 0xC3, 0x28, .. Encoding.ASCII.GetBytes("\"}")]);
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Load(path));
        Assert.Equal($"config {path} is not valid UTF-8 (byte offset 11)", e.Message);
    }

    [Fact]
    public void Invalid_UTF8_inside_a_comment_is_refused_too()
    {
        var path = File([.. Encoding.ASCII.GetBytes("// "), 0xFF, .. Encoding.ASCII.GetBytes("\n{}")]);
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Load(path));
        Assert.Equal($"config {path} is not valid UTF-8 (byte offset 3)", e.Message);
    }

    [Fact]
    public void A_config_starting_with_a_UTF8_byte_order_mark_is_read()
    {
        var path = File([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"name":"θ-bom"}""")]);
        Assert.Equal("θ-bom", TrainingConfig.Load(path).Name);
    }

    [Theory]
    [InlineData("""{"model":{"lmu":{"order":32,"order":64}}}""", "duplicate key 'order' in model.lmu")]
    [InlineData("""{"name":"a","name":"b"}""", "duplicate key 'name' at the top level")]
    [InlineData("""{"training":{"epochs":1},"training":{"epochs":2}}""", "duplicate key 'training' at the top level")]
    [InlineData("""{"model":{"lmu":{"hiddenQuantizer":{"enabled":true,"enabled":false}}}}""", "duplicate key 'enabled' in model.lmu.hiddenQuantizer")]
    public void A_duplicate_key_is_refused_naming_the_key_and_its_path(string json, string message)
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(json, "my.json"));
        Assert.Equal("my.json: " + message, e.Message);
    }

    [Fact]
    public void A_config_file_larger_than_the_limit_is_refused_naming_the_file_and_the_limit()
    {
        var path = File(Encoding.ASCII.GetBytes("{}" + new string(' ', TrainingConfigJson.MaxFileBytes)));
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Load(path));
        Assert.Equal($"config {path} is larger than 1,048,576 bytes; a training config is a small JSON file", e.Message);
    }

    [Fact]
    public void A_config_that_is_JSON_null_is_refused_saying_it_must_be_an_object()
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse("null", "my.json"));
        Assert.Equal("my.json: the config is null; it must be a JSON object", e.Message);
    }

    [Theory]
    [InlineData("""{"model":{"kind":"a\nb"}}""")]
    [InlineData("""{"model":{"lmu":{"x\ny":1}}}""")]
    [InlineData("""{"name":"a","name\n":"b"}""")]
    public void A_key_or_value_holding_a_newline_is_refused_on_one_line(string json)
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(json, "my.json"));
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>The demo's config, every section present: the seed of the mutation test below.</summary>
    private const string Full = """
        // a comment
        {
          "name": "hslmu-tiny",
          "model": { "kind": "lmu", "classes": 10,
            "lmu": { "order": 64, "theta": 784, "hidden": 96, "activation": "tanh", "discretization": "zoh", "form": "auto",
                     "weights": { "inputEncoder": true, "hiddenKernel": false },
                     "hiddenQuantizer": { "enabled": true, "omegaStart": 1000, "omegaEnd": 4, "initialState": "uniform", "seed": 1 },
                     "memoryQuantizer": { "enabled": false } },
            "rnn": { "hidden": 157 } },
          "schedule": { "kind": "geometric", "start": 0.1, "end": 0.7, "steps": 4 },
          "training": { "epochs": 6, "batchSize": 100, "learningRate": 0.003, "seed": 0, "maxBatchesPerEpoch": 0, "threads": 0 },
          "data": { "dataset": "mnist-embedded", "dataDirectory": null, "permutationSeed": 1234, "splitSeed": 42, "trainLimit": 0, "testLimit": 0 },
        }
        """;

    /// <summary>Every (object, key) of a JSON tree: the places a structural mutation replaces a value.</summary>
    private static List<(System.Text.Json.Nodes.JsonObject Parent, string Key)> Places(System.Text.Json.Nodes.JsonNode node)
    {
        var places = new List<(System.Text.Json.Nodes.JsonObject, string)>();
        if (node is System.Text.Json.Nodes.JsonObject o)
            foreach (var (key, child) in o.ToList())
            {
                places.Add((o, key));
                if (child is not null) places.AddRange(Places(child));
            }
        return places;
    }

    /// <summary>A config with one value replaced by null, a wrong type or an extreme number, or with its bytes edited.</summary>
    private static byte[] Mutate(Random random)
    {
        if (random.Next(2) == 0)
        {
            var root = System.Text.Json.Nodes.JsonNode.Parse(Full, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
            string[] values = ["null", "0", "-1", "1000000", "1e12", "1e400", "1.5", "\"x\"", "\"\"", "true", "{}", "[]"];
            for (int edits = random.Next(1, 3); edits > 0; edits--)
            {
                var places = Places(root);
                var (parent, key) = places[random.Next(places.Count)];
                parent[key] = System.Text.Json.Nodes.JsonNode.Parse(values[random.Next(values.Length)]);
            }
            return Encoding.UTF8.GetBytes(root.ToJsonString());
        }
        var bytes = Encoding.UTF8.GetBytes(Full).ToList();
        // Bytes that change a config's structure or meaning: JSON punctuation, digits, null's letters, invalid UTF-8.
        byte[] alphabet = [.. "{}[]:,\"-.0123456789eElnu \\/\n"u8, 0x00, 0x80, 0xC3, 0xFF];
        for (int edits = random.Next(1, 4); edits > 0 && bytes.Count > 0; edits--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = alphabet[random.Next(alphabet.Length)]; break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                case 3: bytes.RemoveRange(at, bytes.Count - at); break;                                             // truncated
                default: bytes.InsertRange(at, bytes.Skip(at).Take(random.Next(1, 40)).ToArray()); break;           // a span repeated
            }
        }
        return [.. bytes];
    }

    [Fact]
    public void Every_mutation_of_a_config_is_read_or_refused_with_a_one_line_config_error()
    {
        var random = new Random(12);
        for (int i = 0; i < 4_000; i++)
        {
            var bytes = Mutate(random);
            try
            {
                TrainingConfig.Parse(TrainingConfigJson.Decode(bytes, "m.json"), "m.json");
            }
            catch (ConfigException e)
            {
                Assert.Matches(@"^(config )?m\.json", e.Message);
                Assert.DoesNotContain('\n', e.Message);
            }
        }
    }
}
