using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Functional;

/// <summary>
/// The quantizer step of <see cref="Quantizer.Step"/> as one pass in C# over the tensors' memory,
/// for the step loops: libtorch charges 10-20 µs of fixed cost per elementwise op and the tensor
/// form takes six, this takes one pass (~20 µs for 100×256). Bit-identical to the tensor form
/// (same float64 operations in the same order; see QuantizerKernelTests).
/// </summary>
public static class QuantizerKernel
{
    /// <summary>
    /// For each element: s = v + f(x)·ω (float64), n = ⌊s⌋, v ← s − n (in place), activity = n/ω
    /// (in <paramref name="activity"/>'s dtype); when <paramref name="counts"/> ([B, T, N] int32) is
    /// given, n is also stored at step <paramref name="step"/>. All tensors contiguous, CPU; fx and
    /// activity float32 or float64, v float64 [B, N].
    /// </summary>
    public static void Step(Tensor fx, Tensor v, double omega, Tensor activity, Tensor? counts, long step)
    {
        if (!fx.is_contiguous() || !v.is_contiguous() || !activity.is_contiguous())
            throw new ArgumentException("quantizer kernel needs contiguous tensors");
        if (v.dtype != ScalarType.Float64) throw new ArgumentException("quantizer state must be float64", nameof(v));
        var vs = MemoryMarshal.Cast<byte, double>(v.bytes);
        long batch = fx.shape[0], units = fx.shape[1];
        Span<int> cs = counts is null ? default : MemoryMarshal.Cast<byte, int>(counts.bytes);
        long steps = counts?.shape[1] ?? 0;
        if (fx.dtype == ScalarType.Float32)
        {
            var xs = MemoryMarshal.Cast<byte, float>(fx.bytes);
            var a = MemoryMarshal.Cast<byte, float>(activity.bytes);
            for (long b = 0; b < batch; b++)
            {
                int row = (int)(b * units);
                int crow = (int)((b * steps + step) * units);
                for (int i = 0; i < units; i++)
                {
                    double s = vs[row + i] + (double)xs[row + i] * omega;
                    double n = Math.Floor(s);
                    vs[row + i] = s - n;
                    a[row + i] = (float)(n / omega);
                    if (counts is not null) cs[crow + i] = (int)n;
                }
            }
        }
        else
        {
            var xs = MemoryMarshal.Cast<byte, double>(fx.bytes);
            var a = MemoryMarshal.Cast<byte, double>(activity.bytes);
            for (long b = 0; b < batch; b++)
            {
                int row = (int)(b * units);
                int crow = (int)((b * steps + step) * units);
                for (int i = 0; i < units; i++)
                {
                    double s = vs[row + i] + xs[row + i] * omega;
                    double n = Math.Floor(s);
                    vs[row + i] = s - n;
                    a[row + i] = n / omega;
                    if (counts is not null) cs[crow + i] = (int)n;
                }
            }
        }
    }
}
