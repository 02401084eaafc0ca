using System.Buffers.Binary;
using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridSpike.Core.Tests.Artifact;

public sealed class ArtifactFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-artifact-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => System.IO.Path.Combine(_dir, name);

    // ---- editing a file as plain MessagePack, the way another tool would see it ----

    private static readonly MessagePackSerializerOptions Plain = ContractlessStandardResolver.Options;

    private static Dictionary<object, object?> Decode(byte[] bytes) =>
        (Dictionary<object, object?>)MessagePackSerializer.Deserialize<object>(bytes, Plain)!;

    private static Dictionary<object, object?> Map(object? o) => Assert.IsType<Dictionary<object, object?>>(o);

    private static object?[] List(object? o) => Assert.IsType<object?[]>(o);

    /// <summary>The edited map as a schema 2 file with a digest that matches: what a tool that rewrites the file properly writes.</summary>
    private string WriteEdited(Action<Dictionary<object, object?>> edit)
    {
        var root = Decode(ArtifactFile.Serialize(SampleArtifacts.Artifact()));
        edit(root);
        var path = PathOf("edited.hsa");
        File.WriteAllBytes(path, SampleArtifacts.Sealed(root));
        return path;
    }

    /// <summary>The map as a schema 1 file, the way this version's predecessor wrote it: no digest.</summary>
    private static byte[] SchemaOne(ModelArtifact artifact)
    {
        var root = Decode(ArtifactFile.Serialize(artifact));
        root.Remove("digest");
        root["schema_version"] = 1;
        foreach (var p in Populations(root)) p.Remove("quantizer");   // schema 3's
        return MessagePackSerializer.Serialize<object>(root, Plain);
    }

    private static IEnumerable<Dictionary<object, object?>> Populations(Dictionary<object, object?> root) =>
        ((object[])((Dictionary<object, object?>)root["network"]!)["populations"]!).Cast<Dictionary<object, object?>>();

    private static ArtifactFormatException Refused(string path)
    {
        var e = Assert.Throws<ArtifactFormatException>(() => ArtifactFile.Read(path));
        Assert.StartsWith(path + ":", e.Message);
        return e;
    }

    // ---- round trip ----

    [Fact]
    public void A_written_artifact_reads_back_equal_to_the_original()
    {
        var path = PathOf("model.hsa");
        var artifact = SampleArtifacts.Artifact();
        ArtifactFile.Write(path, artifact);
        SampleArtifacts.AssertSame(artifact, ArtifactFile.Read(path));
    }

    public static TheoryData<string> Rules => [.. Quantizers.Names];

    private static QuantizerRule RuleNamed(string name) => name switch
    {
        "rounding" => new QuantizerRule.Rounding(),
        "stochastic" => new QuantizerRule.Stochastic(ulong.MaxValue - 3),
        "dithered" => new QuantizerRule.Dithered(99),
        "send-on-delta" => new QuantizerRule.SendOnDelta(1.5),
        _ => QuantizerRule.Default,
    };

    private static ModelArtifact WithHiddenRule(QuantizerRule rule)
    {
        var a = SampleArtifacts.Artifact();
        var pops = a.Network.Populations.Select(p => p.Name == "hidden" ? p with { Quantizer = rule } : p);
        return a with { Network = a.Network with { Populations = [.. pops] } };
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Each_quantizer_rule_reads_back_with_its_parameters(string rule)
    {
        var path = PathOf($"{rule}.hsa");
        var artifact = WithHiddenRule(RuleNamed(rule));
        ArtifactFile.Write(path, artifact);
        Assert.Equal(RuleNamed(rule), ArtifactFile.Read(path).Network.Population("hidden").Quantizer);
    }

    [Fact]
    public void A_quantized_population_without_its_rule_is_refused_in_schema_3()
    {
        var e = Refused(WriteEdited(root => Populations(root).First(p => Equals(p["name"], "hidden")).Remove("quantizer")));
        Assert.Contains("missing field 'network.populations[1].quantizer'", e.Message);
    }

    [Fact]
    public void An_unknown_quantizer_rule_is_refused_with_the_valid_ones()
    {
        var e = Refused(WriteEdited(root => Populations(root).First(p => Equals(p["name"], "hidden"))["quantizer"] =
            new Dictionary<object, object?> { ["rule"] = "bernoulli" }));
        Assert.Contains("network.populations[1].quantizer.rule: unknown quantizer rule 'bernoulli' (valid: sigma-delta, rounding, stochastic, dithered, send-on-delta)", e.Message);
    }

    [Fact]
    public void A_stochastic_rule_without_its_seed_is_refused()
    {
        var e = Refused(WriteEdited(root => Populations(root).First(p => Equals(p["name"], "hidden"))["quantizer"] =
            new Dictionary<object, object?> { ["rule"] = "stochastic" }));
        Assert.Contains("missing field 'network.populations[1].quantizer.seed'", e.Message);
    }

    [Fact]
    public void A_parameter_the_rule_does_not_take_is_refused()
    {
        var e = Refused(WriteEdited(root => Populations(root).First(p => Equals(p["name"], "hidden"))["quantizer"] =
            new Dictionary<object, object?> { ["rule"] = "rounding", ["threshold"] = 2.0 }));
        Assert.Contains("network.populations[1].quantizer.threshold: the rounding rule takes no threshold", e.Message);
    }

    [Fact]
    public void A_non_positive_send_on_delta_threshold_is_refused_naming_the_population()
    {
        var e = Refused(WriteEdited(root => Populations(root).First(p => Equals(p["name"], "hidden"))["quantizer"] =
            new Dictionary<object, object?> { ["rule"] = "send-on-delta", ["threshold"] = 0.0 }));
        Assert.Contains("population 'hidden': send-on-delta threshold 0 must be positive", e.Message);
    }

    [Fact]
    public void A_schema_2_file_is_read_as_sigma_delta()
    {
        var path = PathOf("v2.hsa");
        var root = Decode(ArtifactFile.Serialize(SampleArtifacts.Artifact()));
        root["schema_version"] = 2;
        foreach (var p in Populations(root)) p.Remove("quantizer");
        File.WriteAllBytes(path, SampleArtifacts.Sealed(root));
        Assert.All(ArtifactFile.Read(path).Network.Populations, p => Assert.IsType<QuantizerRule.SigmaDelta>(p.Quantizer));
    }

    [Fact]
    public void A_schema_2_file_naming_a_rule_is_refused()
    {
        var e = Refused(WriteEdited(root => root["schema_version"] = 2));
        Assert.Contains("network.populations[1].quantizer: schema 2 has no quantizer field (it came in schema 3)", e.Message);
    }

    [Fact]
    public void The_sample_covers_dense_and_sparse_weights_and_quantized_and_non_spiking_populations()
    {
        var n = SampleArtifacts.Network();
        Assert.Contains(n.Connections, c => c.Weights is DenseWeights);
        Assert.Contains(n.Connections, c => c.Weights is SparseWeights);
        Assert.Contains(n.Populations, p => p.IsQuantized);
        Assert.Contains(n.Populations, p => !p.IsQuantized);
        Assert.Contains(n.Connections, c => c.Delay == Delay.OneStep);
    }

    [Fact]
    public void Weights_survive_bit_for_bit_including_negative_zero_and_subnormals()
    {
        Prop.ForAll(
            ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite).ArrayOf().Where(a => a.Length > 0)
                .Select(a => a.Append(-0.0).Append(double.Epsilon).ToArray()).ToArbitrary(),
            values =>
            {
                var network = new NetworkDescription(
                    [new Population("p", values.Length, Activation.Linear, null, [.. values], InitialStateMode.Uniform, 1)],
                    [new Connection("input", "p", new DenseWeights(Matrix.Create(values.Length, 1, values)), Delay.SameStep)],
                    new InputMapping(1, "x"), new OutputMapping("p", OutputMapping.LastStep));
                var back = ArtifactFile.Deserialize(ArtifactFile.Serialize(ModelArtifact.Create(network, SampleArtifacts.Provenance())), "memory");
                var weights = ((DenseWeights)back.Network.Connections[0].Weights).Matrix.ToArray();
                var bias = back.Network.Populations[0].Bias.ToArray();
                return values.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(weights.Select(BitConverter.DoubleToInt64Bits))
                    && values.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(bias.Select(BitConverter.DoubleToInt64Bits));
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_same_artifact_always_gives_the_same_bytes()
    {
        var a = SampleArtifacts.Artifact();
        var reordered = a with
        {
            Provenance = a.Provenance with { Seeds = ImmutableDictionary<string, ulong>.Empty.Add("shuffle", 42).Add("big", ulong.MaxValue).Add("init", 7) },
        };
        Assert.Equal(ArtifactFile.Serialize(a), ArtifactFile.Serialize(reordered));
    }

    [Fact]
    public void The_file_is_a_plain_map_with_readable_keys_and_little_endian_blobs()
    {
        var artifact = SampleArtifacts.Artifact();
        var root = Decode(ArtifactFile.Serialize(artifact));
        Assert.Equal("hybridspike-artifact", root["format"]);
        Assert.Equal(3, Convert.ToInt32(root["schema_version"]));
        Assert.Equal("digest", root.Keys.Last());
        Assert.Equal("float64", root["arithmetic"]);
        Assert.Equal(0.9715, Map(root["metrics"])["test-accuracy"]);
        Assert.Equal(ulong.MaxValue, Convert.ToUInt64(Map(Map(root["provenance"])["seeds"])["big"]));

        var network = Map(root["network"]);
        var populations = List(network["populations"]);
        var memory = Map(populations[0]);
        Assert.Null(memory["omega"]);
        Assert.Equal("linear", memory["activation"]);
        Assert.Equal("uniform", memory["initial_state"]);
        Assert.Empty(Assert.IsType<byte[]>(memory["bias"]));
        var hidden = Map(populations[1]);
        Assert.Equal(2.5, hidden["omega"]);
        var bias = Assert.IsType<byte[]>(hidden["bias"]);
        Assert.Equal(-0.2, BinaryPrimitives.ReadDoubleLittleEndian(bias.AsSpan(8)));
        Assert.Equal("zeros", Map(populations[2])["initial_state"]);

        var connections = List(network["connections"]);
        var dense = Map(Map(connections[0])["weights"]);
        Assert.Equal("same-step", Map(connections[0])["delay"]);
        Assert.Equal("one-step", Map(connections[1])["delay"]);
        Assert.Equal(["kind", "rows", "cols", "values"], dense.Keys.Cast<string>());
        Assert.Equal("dense", dense["kind"]);
        Assert.Equal((4, 3), (Convert.ToInt32(dense["rows"]), Convert.ToInt32(dense["cols"])));
        var values = Assert.IsType<byte[]>(dense["values"]);
        var matrix = ((DenseWeights)artifact.Network.Connections[0].Weights).Matrix;
        Assert.Equal(matrix[1, 2], BinaryPrimitives.ReadDoubleLittleEndian(values.AsSpan((1 * 3 + 2) * 8)));

        var sparse = Map(Map(connections[2])["weights"]);
        Assert.Equal("sparse", sparse["kind"]);
        var s = (SparseWeights)artifact.Network.Connections[2].Weights;
        Assert.Equal(s.TargetIndex[4], BinaryPrimitives.ReadInt32LittleEndian(Assert.IsType<byte[]>(sparse["target"]).AsSpan(16)));
        Assert.Equal(s.SourceIndex[4], BinaryPrimitives.ReadInt32LittleEndian(Assert.IsType<byte[]>(sparse["source"]).AsSpan(16)));
        Assert.Equal(s.Values[4], BinaryPrimitives.ReadDoubleLittleEndian(Assert.IsType<byte[]>(sparse["values"]).AsSpan(32)));
    }

    // ---- refusing what is not a readable artifact ----

    [Fact]
    public void A_map_of_another_format_is_not_an_artifact()
    {
        var path = WriteEdited(root => root["format"] = "something-else");
        var e = Refused(path);
        Assert.Contains("not a HybridSpike artifact", e.Message);
        Assert.Contains("something-else", e.Message);
    }

    [Fact]
    public void A_map_without_a_format_entry_is_not_an_artifact()
    {
        var e = Refused(WriteEdited(root => root.Remove("format")));
        Assert.Contains("not a HybridSpike artifact", e.Message);
    }

    [Theory]
    [InlineData("hello, this is a text file\n")]
    [InlineData("")]
    [InlineData("\u0093\u0001\u0002\u0003")]
    public void A_file_that_is_not_a_messagepack_map_is_not_an_artifact(string content)
    {
        var path = PathOf("text.hsa");
        File.WriteAllBytes(path, content.Select(c => (byte)c).ToArray());
        Assert.Contains("not a HybridSpike artifact", Refused(path).Message);
    }

    [Fact]
    public void An_unsupported_schema_version_is_refused_with_the_supported_one()
    {
        var e = Refused(WriteEdited(root => root["schema_version"] = 4));
        Assert.Contains("unsupported schema version 4 (supported: 1, 2, 3)", e.Message);
    }

    [Fact]
    public void An_unsupported_arithmetic_is_refused()
    {
        var e = Refused(WriteEdited(root => root["arithmetic"] = "fixed-point-8"));
        Assert.Contains("arithmetic 'fixed-point-8' is not supported (supported: float64)", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(200)]
    public void A_truncated_file_is_refused_as_truncated(int cut)
    {
        var bytes = ArtifactFile.Serialize(SampleArtifacts.Artifact());
        var path = PathOf("cut.hsa");
        File.WriteAllBytes(path, bytes[..^cut]);
        Assert.Contains("truncated or corrupt MessagePack", Refused(path).Message);
    }

    [Fact]
    public void Bytes_after_the_artifact_are_refused()
    {
        var path = PathOf("long.hsa");
        File.WriteAllBytes(path, [.. ArtifactFile.Serialize(SampleArtifacts.Artifact()), 0xC0]);
        Assert.Contains("1 bytes follow", Refused(path).Message);
    }

    [Theory]
    [InlineData("network.populations[1].size")]
    [InlineData("network.populations[0].omega")]
    [InlineData("network.connections[2].weights.target")]
    [InlineData("network.connections[0].delay")]
    [InlineData("network.output")]
    [InlineData("provenance.seeds")]
    [InlineData("metrics")]
    [InlineData("schema_version")]
    public void A_missing_field_is_named(string field)
    {
        var path = WriteEdited(root =>
        {
            object? node = root;
            var parts = field.Replace("]", "").Split('.', '[');
            for (int i = 0; i < parts.Length - 1; i++)
                node = int.TryParse(parts[i], out var k) ? List(node)[k] : Map(node)[parts[i]];
            Assert.True(Map(node).Remove(parts[^1]));
        });
        Assert.Contains($"missing field '{field}'", Refused(path).Message);
    }

    [Fact]
    public void A_weight_blob_of_the_wrong_length_is_refused_with_both_lengths()
    {
        var path = WriteEdited(root =>
        {
            var w = Map(Map(List(Map(root["network"])["connections"])[0])["weights"]);
            w["values"] = ((byte[])w["values"]!)[..^8];
        });
        var e = Refused(path);
        Assert.Contains("network.connections[0].weights.values: blob length mismatch", e.Message);
        Assert.Contains("88 bytes", e.Message);
        Assert.Contains("4x3", e.Message);
    }

    [Fact]
    public void A_sparse_index_blob_of_the_wrong_length_is_refused()
    {
        var path = WriteEdited(root =>
        {
            var w = Map(Map(List(Map(root["network"])["connections"])[2])["weights"]);
            w["source"] = ((byte[])w["source"]!)[..^4];
        });
        Assert.Contains("network.connections[2].weights.source: blob length mismatch", Refused(path).Message);
    }

    [Fact]
    public void An_unknown_activation_is_refused_with_the_valid_names()
    {
        var path = WriteEdited(root => Map(List(Map(root["network"])["populations"])[1])["activation"] = "softplus");
        var e = Refused(path);
        Assert.Contains("network.populations[1].activation: unknown value 'softplus'", e.Message);
        Assert.Contains("linear, relu, tanh, sigmoid", e.Message);
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_refused_naming_the_field_and_both_types()
    {
        var path = WriteEdited(root => Map(List(Map(root["network"])["populations"])[1])["size"] = "five");
        Assert.Contains("corrupt artifact: network.populations[1].size: expected an integer, found a string", Refused(path).Message);
    }

    [Fact]
    public void A_size_beyond_int32_is_refused_naming_the_field()
    {
        var path = WriteEdited(root => Map(Map(List(Map(root["network"])["connections"])[0])["weights"])["rows"] = ulong.MaxValue);
        Assert.Contains($"network.connections[0].weights.rows: {ulong.MaxValue} is out of range of a 32-bit integer", Refused(path).Message);
    }

    [Fact]
    public void An_invalid_network_in_the_file_is_refused()
    {
        var path = WriteEdited(root => Map(Map(root["network"])["output"])["population"] = "nowhere");
        Assert.Contains("invalid network: output: unknown population 'nowhere'", Refused(path).Message);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = PathOf("absent.hsa");
        Assert.Contains("file not found", Refused(path).Message);
    }

    // ---- the digest ----

    /// <summary>Where a connection's weight values start in the file: the first occurrence of their bytes.</summary>
    private static int OffsetOfWeights(byte[] file, ModelArtifact artifact)
    {
        var blob = ArtifactMapping.DoublesToBlob(((DenseWeights)artifact.Network.Connections[0].Weights).Matrix.Values.Span);
        int at = file.AsSpan().IndexOf(blob);
        Assert.True(at > 0);
        return at;
    }

    [Fact]
    public void A_flipped_byte_in_the_weights_is_refused_naming_the_digest()
    {
        var artifact = SampleArtifacts.Artifact();
        var bytes = ArtifactFile.Serialize(artifact);
        var good = ArtifactFile.DeserializeWithDigest(bytes, "good").Digest;
        bytes[OffsetOfWeights(bytes, artifact) + 13] ^= 0x01;
        var path = PathOf("flipped.hsa");
        File.WriteAllBytes(path, bytes);
        var e = Refused(path);
        Assert.Contains($"the digest does not match: the file stores {good[..12]}", e.Message);
    }

    [Fact]
    public void A_file_cut_at_its_digest_entry_is_refused_as_truncated()
    {
        var path = PathOf("cut.hsa");
        File.WriteAllBytes(path, ArtifactFile.Serialize(SampleArtifacts.Artifact())[..^41]);
        Assert.Contains("truncated or corrupt MessagePack", Refused(path).Message);
    }

    [Fact]
    public void The_digest_is_the_lowercase_hex_sha256_of_the_bytes_before_the_digest_entry()
    {
        var path = PathOf("model.hsa");
        ArtifactFile.Write(path, SampleArtifacts.Artifact());
        var bytes = File.ReadAllBytes(path);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 41)));
        Assert.Equal(expected, ArtifactFile.ReadWithDigest(path).Digest);
    }

    [Fact]
    public void A_schema_1_file_without_a_digest_is_read_and_named_by_the_hash_of_the_whole_file()
    {
        var artifact = SampleArtifacts.Artifact();
        var bytes = SchemaOne(artifact);
        var path = PathOf("old.hsa");
        File.WriteAllBytes(path, bytes);
        var read = ArtifactFile.ReadWithDigest(path);
        SampleArtifacts.AssertSame(artifact with { SchemaVersion = 1 }, read.Artifact);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), read.Digest);
    }

    [Fact]
    public void A_schema_2_file_without_a_digest_is_refused_naming_the_field()
    {
        var root = Decode(ArtifactFile.Serialize(SampleArtifacts.Artifact()));
        root.Remove("digest");
        var path = PathOf("nodigest.hsa");
        File.WriteAllBytes(path, MessagePackSerializer.Serialize<object>(root, Plain));
        Assert.Contains("missing field 'digest'", Refused(path).Message);
    }

    [Fact]
    public void A_digest_that_is_not_the_maps_last_entry_is_refused()
    {
        var root = Decode(ArtifactFile.Serialize(SampleArtifacts.Artifact()));
        var moved = new Dictionary<object, object?> { ["digest"] = root["digest"] };
        foreach (var kv in root) if (!Equals(kv.Key, "digest")) moved.Add(kv.Key, kv.Value);
        var path = PathOf("moved.hsa");
        File.WriteAllBytes(path, MessagePackSerializer.Serialize<object>(moved, Plain));
        Assert.Contains("it must be the map's last entry", Refused(path).Message);
    }

    // ---- sizes: refused against the file and the limits before anything is allocated ----

    /// <summary>A file that starts like an artifact, then declares a value longer than the file.</summary>
    private string WriteWithHeader(params byte[] header)
    {
        var head = MessagePackSerializer.Serialize<object>(new Dictionary<object, object?> { ["format"] = "hybridspike-artifact", ["schema_version"] = 2 }, Plain);
        head[0] = 0x83;   // three entries: the two above and "network"
        var path = PathOf("header.hsa");
        File.WriteAllBytes(path, [.. head, 0xa7, .. "network"u8, .. header, 1, 2, 3, 4]);
        return path;
    }

    [Fact]
    public void A_bin_longer_than_the_file_is_refused_naming_the_field_and_both_lengths()
    {
        var e = Refused(WriteWithHeader(0xc6, 0xff, 0xff, 0xff, 0xff));
        Assert.Contains("network: a bin of 4294967295 bytes, but only 4 bytes are left", e.Message);
    }

    [Fact]
    public void An_array_with_more_elements_than_the_file_has_bytes_is_refused()
    {
        var e = Refused(WriteWithHeader(0xdd, 0x7f, 0xff, 0xff, 0xff));
        Assert.Contains("network declares 2147483647 elements, but only 4 bytes are left", e.Message);
    }

    [Fact]
    public void A_population_over_the_unit_limit_is_refused_naming_the_field_and_the_limit()
    {
        var path = WriteEdited(root => Map(List(Map(root["network"])["populations"])[2])["size"] = 1_000_000_000);
        Assert.Contains($"network.populations[2].size: 1000000000 units exceed the limit of {ArtifactLimits.MaxUnits}", Refused(path).Message);
    }

    [Fact]
    public void A_dense_matrix_over_the_weight_limit_is_refused_before_its_blob_is_read()
    {
        var path = WriteEdited(root =>
        {
            var w = Map(Map(List(Map(root["network"])["connections"])[0])["weights"]);
            (w["rows"], w["cols"]) = (1_000_000, 1_000_000);
        });
        Assert.Contains($"network.connections[0].weights: a 1000000x1000000 dense matrix has 1000000000000 weights, over the limit of {ArtifactLimits.MaxWeightsPerConnection}", Refused(path).Message);
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_without_being_read()
    {
        var path = PathOf("huge.hsa");
        using (var f = File.Create(path)) f.SetLength(ArtifactLimits.MaxFileBytes + 1);   // sparse: no disk space used
        Assert.Contains($"over the limit of {ArtifactLimits.MaxFileBytes}", Refused(path).Message);
    }

    [Fact]
    public void An_artifact_over_a_limit_is_not_written()
    {
        var path = PathOf("model.hsa");
        var wide = SampleArtifacts.Artifact() with { Network = SampleArtifacts.Network() with { Input = new InputMapping(ArtifactLimits.MaxInputDimensions + 1, "wide") } };
        var e = Assert.Throws<ArgumentException>(() => ArtifactFile.Write(path, wide));
        Assert.Contains($"network.input.dimensions: {ArtifactLimits.MaxInputDimensions + 1} exceeds the limit", e.Message);
        Assert.False(File.Exists(path));
    }

    // ---- writing ----

    [Fact]
    public void Writing_an_invalid_network_leaves_the_existing_file_untouched()
    {
        var path = PathOf("model.hsa");
        ArtifactFile.Write(path, SampleArtifacts.Artifact());
        var before = File.ReadAllBytes(path);
        var bad = SampleArtifacts.Artifact() with
        {
            Network = SampleArtifacts.Network() with { Output = new OutputMapping("nowhere", OutputMapping.LastStep) },
        };
        var e = Assert.Throws<ArgumentException>(() => ArtifactFile.Write(path, bad));
        Assert.Contains(path, e.Message);
        Assert.Contains("nowhere", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Writing_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        var path = PathOf("model.hsa");
        File.WriteAllText(path, "old contents");
        ArtifactFile.Write(path, SampleArtifacts.Artifact());
        SampleArtifacts.AssertSame(SampleArtifacts.Artifact(), ArtifactFile.Read(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Writing_into_a_missing_directory_fails_without_leaving_anything()
    {
        var path = PathOf("no/such/dir/model.hsa");
        Assert.ThrowsAny<IOException>(() => ArtifactFile.Write(path, SampleArtifacts.Artifact()));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Only_the_current_schema_and_a_supported_arithmetic_are_written()
    {
        var path = PathOf("model.hsa");
        var e1 = Assert.Throws<ArgumentException>(() => ArtifactFile.Write(path, SampleArtifacts.Artifact() with { SchemaVersion = 1 }));
        Assert.Contains("schema version 1", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => ArtifactFile.Write(path, SampleArtifacts.Artifact() with { Arithmetic = "fixed-point" }));
        Assert.Contains("arithmetic 'fixed-point'", e2.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_provenance_timestamp_is_iso_8601_utc_to_the_second()
    {
        var t = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(2));
        Assert.Equal("2026-03-04T03:06:07Z", Provenance.UtcTimestamp(t));
    }
}
