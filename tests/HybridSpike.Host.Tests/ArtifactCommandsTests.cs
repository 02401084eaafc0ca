using System.Buffers.Binary;
using System.Security.Cryptography;
using HybridSpike.Core.Artifact;

namespace HybridSpike.Host.Tests;

/// <summary>Every command reads an artifact through the one validation: the same bad network, the same refusal.</summary>
public sealed class ArtifactCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-badart-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A schema 2 file's digest recomputed after its bytes were edited (what a careless tool would write).</summary>
    internal static void Reseal(byte[] bytes) => SHA256.HashData(bytes.AsSpan(0, bytes.Length - 41), bytes.AsSpan(bytes.Length - 32));

    /// <summary>The small artifact with the first bias of its hidden population set to <paramref name="bias"/>, resealed.</summary>
    private string WithFirstBias(double bias)
    {
        var path = TestArtifacts.SmallPsMnist(_dir);
        var first = ArtifactFile.Read(path).Network.Population("hidden").Bias[0];
        var bytes = File.ReadAllBytes(path);
        var pattern = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(pattern, first);
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at > 0);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), bias);
        Reseal(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string[] Command(string name, string model) => name switch
    {
        "compile" => ["compile", "--model", model],
        "eval" => ["eval", "--engine", "golden", "--model", model, "--limit", "5"],
        "simulate" => ["simulate", "--model", model, "--samples", "2"],
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [InlineData("compile", double.NaN)]
    [InlineData("eval", double.NaN)]
    [InlineData("simulate", double.NaN)]
    [InlineData("compile", double.PositiveInfinity)]
    [InlineData("eval", double.PositiveInfinity)]
    [InlineData("simulate", double.PositiveInfinity)]
    public void A_bias_that_is_not_finite_is_refused_by_every_command_with_the_same_message(string command, double bias)
    {
        var path = WithFirstBias(bias);
        var r = CliRunner.Run(Command(command, path));
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Equal($"error: {path}: invalid network: population 'hidden': bias 0 is {bias}; biases must be finite", r.Error.Trim());
    }

    [Theory]
    [InlineData("compile")]
    [InlineData("eval")]
    [InlineData("simulate")]
    public void An_omega_whose_counts_overflow_int32_is_refused_naming_the_population(string command)
    {
        var path = TestArtifacts.SmallPsMnist(_dir);
        var bytes = File.ReadAllBytes(path);
        // "omega": float64 4.0, big-endian after its 0xcb marker.
        byte[] omega = [0xa5, .. "omega"u8, 0xcb, 0x40, 0x10, 0, 0, 0, 0, 0, 0];
        int at = bytes.AsSpan().IndexOf(omega);
        Assert.True(at > 0);
        BinaryPrimitives.WriteDoubleBigEndian(bytes.AsSpan(at + 7), 1e12);
        Reseal(bytes);
        File.WriteAllBytes(path, bytes);
        var r = CliRunner.Run(Command(command, path));
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.StartsWith($"error: {path}: invalid network: population 'hidden': ω = {1e12} is over the limit", r.Error.Trim());
    }
}
