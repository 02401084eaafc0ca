using HybridSpike.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training;

/// <summary>Batch tensors of a run's sequences (<see cref="SequenceData"/> lives in Core, free of tensors).</summary>
public static class SequenceBatches
{
    /// <summary>The inputs [batch, steps] and labels [batch] of <paramref name="positions"/> of <paramref name="split"/>.</summary>
    public static (Tensor X, Tensor Y) Batch(this SequenceData data, Split split, ReadOnlySpan<int> positions, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(data);
        var x = new float[positions.Length * data.Steps];
        var y = new long[positions.Length];
        data.View.Fill(split, positions, x, y);
        var xt = tensor(x, [positions.Length, data.Steps]);
        return (dtype == ScalarType.Float32 ? xt : xt.to_type(dtype), tensor(y));
    }
}
