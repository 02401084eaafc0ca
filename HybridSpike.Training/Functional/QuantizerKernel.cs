using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Functional;

/// <summary>
/// The quantizer step of <see cref="Quantizer.Step"/> as one vectorized pass in C# over the tensors'
/// memory, for the step loops: libtorch charges 10-20 µs of fixed cost per elementwise op and the
/// tensor form takes six. Bit-identical to the tensor form: the same IEEE float64 operations in the
/// same order, vector or scalar (see QuantizerKernelTests).
/// </summary>
public static class QuantizerKernel
{
    /// <summary>
    /// For each element: s = v + f(x)·ω (float64), n = ⌊s⌋, v ← s − n (in place), activity = n/ω
    /// (in <paramref name="activity"/>'s dtype). When <paramref name="counts"/> ([B, T, N] int32) is
    /// given, n is stored at step <paramref name="step"/>; when <paramref name="history"/> ([B, T, N],
    /// activity's dtype) is given, so is the activity. All tensors contiguous on the CPU; fx and
    /// activity float32 or float64, v float64 [B, N].
    /// </summary>
    public static void Step(Tensor fx, Tensor v, double omega, Tensor activity, Tensor? counts, long step, Tensor? history = null)
    {
        if (!fx.is_contiguous() || !v.is_contiguous() || !activity.is_contiguous())
            throw new ArgumentException("quantizer kernel needs contiguous tensors");
        if (v.dtype != ScalarType.Float64) throw new ArgumentException("quantizer state must be float64", nameof(v));
        if (activity.dtype != fx.dtype || (history is not null && history.dtype != fx.dtype))
            throw new ArgumentException("activity and history must have the dtype of f(x)");
        int batch = (int)fx.shape[0], units = (int)fx.shape[1];
        int steps = (int)(counts?.shape[1] ?? history?.shape[1] ?? 0);
        var vs = MemoryMarshal.Cast<byte, double>(v.bytes);
        Span<int> cs = counts is null ? default : MemoryMarshal.Cast<byte, int>(counts.bytes);
        if (fx.dtype == ScalarType.Float32)
        {
            var xs = MemoryMarshal.Cast<byte, float>(fx.bytes);
            var a = MemoryMarshal.Cast<byte, float>(activity.bytes);
            Span<float> hs = history is null ? default : MemoryMarshal.Cast<byte, float>(history.bytes);
            for (int b = 0; b < batch; b++)
            {
                int row = b * units, at = (b * steps + (int)step) * units;
                RowFloat(xs.Slice(row, units), vs.Slice(row, units), omega, a.Slice(row, units),
                    counts is null ? default : cs.Slice(at, units), history is null ? default : hs.Slice(at, units));
            }
        }
        else if (fx.dtype == ScalarType.Float64)
        {
            var xs = MemoryMarshal.Cast<byte, double>(fx.bytes);
            var a = MemoryMarshal.Cast<byte, double>(activity.bytes);
            Span<double> hs = history is null ? default : MemoryMarshal.Cast<byte, double>(history.bytes);
            for (int b = 0; b < batch; b++)
            {
                int row = b * units, at = (b * steps + (int)step) * units;
                var c = counts is null ? default : cs.Slice(at, units);
                var h = history is null ? default : hs.Slice(at, units);
                for (int i = 0; i < units; i++)
                {
                    double s = vs[row + i] + xs[row + i] * omega;
                    double n = Math.Floor(s);
                    vs[row + i] = s - n;
                    double q = n / omega;
                    a[row + i] = q;
                    if (!c.IsEmpty) c[i] = (int)n;
                    if (!h.IsEmpty) h[i] = q;
                }
            }
        }
        else throw new ArgumentException($"quantizer kernel supports float32 and float64, not {fx.dtype}");
    }

    private static void RowFloat(ReadOnlySpan<float> x, Span<double> v, double omega, Span<float> a, Span<int> counts, Span<float> history)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var w = Vector256.Create(omega);
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                var (xLo, xHi) = Vector256.Widen(Vector256.Create(x.Slice(i, 8)));
                var sLo = Vector256.Create(v.Slice(i, 4)) + xLo * w;
                var sHi = Vector256.Create(v.Slice(i + 4, 4)) + xHi * w;
                var nLo = Vector256.Floor(sLo);
                var nHi = Vector256.Floor(sHi);
                (sLo - nLo).CopyTo(v.Slice(i, 4));
                (sHi - nHi).CopyTo(v.Slice(i + 4, 4));
                var q = Vector256.Narrow(nLo / w, nHi / w);
                q.CopyTo(a.Slice(i, 8));
                if (!history.IsEmpty) q.CopyTo(history.Slice(i, 8));
                if (!counts.IsEmpty) Vector256.Narrow(Vector256.ConvertToInt64(nLo), Vector256.ConvertToInt64(nHi)).CopyTo(counts.Slice(i, 8));
            }
        }
        for (; i < x.Length; i++)
        {
            double s = v[i] + x[i] * omega;
            double n = Math.Floor(s);
            v[i] = s - n;
            float q = (float)(n / omega);
            a[i] = q;
            if (!history.IsEmpty) history[i] = q;
            if (!counts.IsEmpty) counts[i] = (int)n;
        }
    }
}
