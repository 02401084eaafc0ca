using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HybridSpike.Core.Data;
using HybridSpike.Training.Config;

namespace HybridSpike.Training.Tests;

/// <summary>The checkpoint's digest and the checks of its state: a damaged checkpoint is refused whole and left as it is.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-ckpt-").FullName;

    public CheckpointTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A small hsLMU on 200 digits (4 batches of 50 an epoch): a checkpoint in about a second.</summary>
    private static TrainingConfig Tiny(int maxBatches = 0) => new()
    {
        Name = "tiny",
        Model = new ModelConfig
        {
            Lmu = new LmuConfig
            {
                Order = 8, Hidden = 16,
                Weights = new LmuWeightsConfig { HiddenKernel = false },
                HiddenQuantizer = new QuantizerConfig { Enabled = true, OmegaStart = 100, OmegaEnd = 8, Seed = 1 },
            },
        },
        Training = new OptimizationConfig { Epochs = 1, BatchSize = 50, LearningRate = 3e-3, Seed = 5, MaxBatchesPerEpoch = maxBatches },
        Data = new DataConfig { TrainLimit = 200, TestLimit = 50 },
    };

    /// <summary>Trains <paramref name="config"/> into a folder of its own, interrupted after its first batch; returns the checkpoint.</summary>
    private string Interrupted(TrainingConfig config, string name)
    {
        using var cancel = new CancellationTokenSource();
        var result = new Trainer(config, Path.Combine(_dir, name)).Run(
            SequenceData.Load(config.Data), false, new Synchronous(p => { if (p.Batch == 1) cancel.Cancel(); }), cancel.Token);
        Assert.True(result.Interrupted);
        return result.Checkpoint;
    }

    private static InvalidDataException Refused(string path, TrainingConfig config) =>
        Assert.Throws<InvalidDataException>(() => new Trainer(config, Path.GetDirectoryName(path)!).Run(SequenceData.Load(config.Data), resume: true, null, CancellationToken.None));

    /// <summary>The checkpoint with its JSON state edited and its digest recomputed: damage the digest cannot see.</summary>
    private static void EditState(string path, Action<JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(path);
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var state = JsonNode.Parse(bytes.AsSpan(12, length))!.AsObject();
        edit(state);
        var json = Encoding.UTF8.GetBytes(state.ToJsonString());
        var payload = new byte[12 + json.Length + (bytes.Length - 12 - length - 32)];
        bytes.AsSpan(0, 8).CopyTo(payload);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(8), json.Length);
        json.CopyTo(payload, 12);
        bytes.AsSpan(12 + length, bytes.Length - 12 - length - 32).CopyTo(payload.AsSpan(12 + json.Length));
        File.WriteAllBytes(path, [.. payload, .. SHA256.HashData(payload)]);
    }

    [Fact]
    public void Resuming_a_checkpoint_with_a_flipped_byte_is_refused_naming_the_digest_and_leaves_the_file()
    {
        var config = Tiny();
        var path = Interrupted(config, "flip");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;   // in the model's parameters
        File.WriteAllBytes(path, bytes);
        var e = Refused(path, config);
        Assert.Contains($"{path}: the checkpoint's digest does not match", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_checkpoint_with_bytes_appended_is_refused_naming_the_digest()
    {
        var path = Interrupted(Tiny(), "long");
        File.AppendAllText(path, "more");
        Assert.Contains("digest does not match", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path)).Message);
    }

    [Fact]
    public void A_checkpoint_cut_off_in_its_optimizer_state_is_refused_even_where_the_optimizer_is_not_read()
    {
        var path = Interrupted(Tiny(), "cut");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        // What eval --engine torch does: the model's weights only.
        Assert.Contains("digest does not match", Assert.Throws<InvalidDataException>(() => TrainedModel.Load(path)).Message);
    }

    [Fact]
    public void A_checkpoint_written_before_the_digest_is_still_read()
    {
        var path = Interrupted(Tiny(), "old");
        var bytes = File.ReadAllBytes(path);
        "HSCKPT1\n"u8.CopyTo(bytes);
        File.WriteAllBytes(path, bytes[..^32]);
        using var model = TrainedModel.Load(path);
        Assert.Equal(1, model.State.BatchInEpoch);
    }

    [Theory]
    [InlineData("configJson", null, "configJson is missing (null)")]
    [InlineData("epoch", -3, "epoch -3 is negative")]
    [InlineData("epoch", 7, "epoch 7 is not within 0..1 (the config's training.epochs)")]
    [InlineData("batchInEpoch", -1, "batchInEpoch -1 is negative")]
    [InlineData("runningCorrect", 1_000_000, "runningCorrect 1000000 is not within 0..runningSeen (50)")]
    public void A_state_field_out_of_range_is_refused_naming_the_field(string field, object? value, string message)
    {
        var path = Interrupted(Tiny(), "state");
        EditState(path, s => s[field] = value is int i ? JsonValue.Create(i) : null);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path));
        Assert.Equal($"{path}: corrupt checkpoint state: {message}", e.Message);
    }

    [Fact]
    public void A_history_record_without_its_omegas_is_refused_naming_the_field()
    {
        var config = Tiny() with { Training = Tiny().Training with { Epochs = 2, MaxBatchesPerEpoch = 1 } };
        var dir = Path.Combine(_dir, "history");
        var path = new Trainer(config, dir).Run(SequenceData.Load(config.Data), false, new Synchronous(_ => { }), CancellationToken.None).Checkpoint;
        EditState(path, s => s["history"]![1]!["omega"] = null);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path));
        Assert.Equal($"{path}: corrupt checkpoint state: history[1].omega is missing (null)", e.Message);
    }

    [Fact]
    public void Resuming_at_a_batch_past_the_end_of_the_epoch_is_refused_and_leaves_the_file()
    {
        var config = Tiny();
        var path = Interrupted(config, "batch");
        EditState(path, s => s["batchInEpoch"] = 1_000_000);
        var before = File.ReadAllBytes(path);
        var e = Refused(path, config);
        Assert.Contains("batchInEpoch 1000000 is not below the 4 batches of an epoch of this data", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    private sealed class Synchronous(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
