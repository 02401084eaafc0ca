using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HybridSpike.Core.Numerics;

/// <summary>Which instructions a <see cref="MantissaBlock"/> step uses (the best the machine has, unless a test asks).</summary>
public enum KernelPath
{
    /// <summary>The best for this machine and block: AVX-512 when present (register-tiled for short columns, row adds for long ones), else scalar.</summary>
    Auto,
    /// <summary>One synapse at a time; every machine.</summary>
    Scalar,
    /// <summary>AVX-512, 64 targets' sums held in registers while the nonzero sources stream by: best when the block sits in cache.</summary>
    Tiled,
    /// <summary>AVX-512, one source's whole column added at a time with the next column prefetched: best when the weights stream from memory.</summary>
    RowAdds,
    /// <summary>
    /// AVX-512, every source, two at a time, as bytes (u8 payload + offset times s8 weight, summed in
    /// pairs to int16): when many sources are active with small counts, touching all of them costs less
    /// than picking the active ones out.
    /// </summary>
    DensePairs,
}

/// <summary>
/// The fixed-point weights of one block (a connection, or a core's rows of one) in the layout the step
/// kernels stream: source-major, so that the weights one source sends to all its targets are contiguous
/// and a step reads only the columns of sources whose payload is nonzero (the event-driven part of a
/// step), as 8-bit mantissas when they fit — one byte per synapse — and 16- or 32-bit ones otherwise.
/// <see cref="Accumulate(ReadOnlySpan{long}, Span{long})"/> returns exactly <see cref="FixedPoint.Accumulate"/>'s integer sums, so any
/// simulator that uses it gets the fixed-point network's spikes. Immutable; safe to share between threads.
/// </summary>
public sealed class MantissaBlock
{
    /// <summary>Columns are padded to a multiple of 16 targets (one 512-bit vector of int32 sums) with zeros.</summary>
    private const int Lane = 16;
    /// <summary>Columns of at most this many targets are register-tiled; longer ones go by row adds, four columns at a time (measured faster from 1,024 targets: docs/benchmarks/mesh.md).</summary>
    private const int TiledMaxStride = 512;

    private readonly sbyte[]? _w8;
    private readonly short[]? _w16;
    private readonly int[]? _w32;
    private readonly int[] _nonzero;   // per source: nonzero weights in its column (the synaptic events one nonzero payload makes)
    // A sparse block (few nonzero weights, as the identity of a lowered recurrence): per source, its
    // nonzero weights' rows and 8-bit mantissas, 3 bytes per synapse, visited one by one.
    private readonly int[]? _sparseStart;
    private readonly ushort[]? _sparseRows;
    private readonly sbyte[]? _sparseValues;
    private readonly short[]? _sparseValues16;   // a sparse block whose mantissas need 9-16 bits
    // The dense-pairs copy of a cache-sized 8-bit block: [source pair][target (padded to 64)][2], and each target's Σ_j m_ij.
    private readonly sbyte[]? _pairs;
    private readonly int[]? _rowSums;
    private readonly int _pairStride;

    /// <summary>Blocks up to this many bytes also keep the dense-pairs copy (a second byte per synapse, for blocks that sit in cache), unless told not to.</summary>
    private const long PairsMaxBytes = 4 << 20;

    /// <summary>Blocks (up to 16-bit mantissas) with at most one nonzero weight in this many are stored sparse: there a synapse costs less one by one than a padded vector lane.</summary>
    private const int SparseBelow = 32;

    private MantissaBlock(int targets, int sources, int stride, int maxAbs, sbyte[]? w8, short[]? w16, int[]? w32, int[] nonzero,
        bool densePairs, int[]? sparseStart = null, ushort[]? sparseRows = null, sbyte[]? sparseValues = null, short[]? sparseValues16 = null)
    {
        _sparseStart = sparseStart;
        _sparseRows = sparseRows;
        _sparseValues = sparseValues;
        _sparseValues16 = sparseValues16;
        if (densePairs && w8 is not null && Avx512BW.IsSupported && (long)(sources + 1) * ((targets + 63) / 64 * 64) <= PairsMaxBytes)
            (_pairs, _rowSums, _pairStride) = BuildPairs(targets, sources, stride, w8);
        Targets = targets;
        Sources = sources;
        Stride = stride;
        MaxAbsMantissa = maxAbs;
        _w8 = w8;
        _w16 = w16;
        _w32 = w32;
        _nonzero = nonzero;
        long synapses = 0;
        foreach (var n in nonzero) synapses += n;
        Synapses = synapses;
    }

    public int Targets { get; }

    public int Sources { get; }

    /// <summary>Targets rounded up to a multiple of 16: the length of one stored column.</summary>
    public int Stride { get; }

    /// <summary>The largest |mantissa| of the block; it bounds the int32 partial sums.</summary>
    public int MaxAbsMantissa { get; }

    /// <summary>Nonzero weights (stored synapses that can make an event).</summary>
    public long Synapses { get; }

    /// <summary>1, 2 or 4: the width of the stored mantissas.</summary>
    public int BytesPerWeight => _w16 is not null ? 2 : _w32 is not null ? 4 : 1;

    /// <summary>Stored as a list of nonzero synapses rather than dense columns.</summary>
    public bool IsSparse => _sparseStart is not null;

    /// <summary>Bytes the block holds (weights with their padding or sparse indices, and the per-source counts).</summary>
    public long Bytes => (_w8?.LongLength ?? 0) + 2 * (_w16?.LongLength ?? 0) + 4 * (_w32?.LongLength ?? 0) + 4L * _nonzero.Length
        + 4L * (_sparseStart?.LongLength ?? 0) + 2L * (_sparseRows?.LongLength ?? 0) + (_sparseValues?.LongLength ?? 0) + 2L * (_sparseValues16?.LongLength ?? 0)
        + (_pairs?.LongLength ?? 0) + 4L * (_rowSums?.LongLength ?? 0);

    /// <summary>Nonzero weights in source <paramref name="source"/>'s column.</summary>
    public int NonzeroOf(int source) => _nonzero[source];

    /// <summary>The block of a row-major [target, source] mantissa matrix (<see cref="Network.FixedPointWeights"/>'s layout), with the dense-pairs copy when it is cache-sized.</summary>
    public static MantissaBlock FromRowMajor(int targets, int sources, ReadOnlySpan<int> mantissas) => FromRowMajor(targets, sources, mantissas, true);

    /// <summary>
    /// As <see cref="FromRowMajor(int, int, ReadOnlySpan{int})"/>; <paramref name="densePairs"/> false keeps one byte per
    /// 8-bit synapse whatever the block's size (large networks: the second copy would double their memory for ~8% speed).
    /// </summary>
    public static MantissaBlock FromRowMajor(int targets, int sources, ReadOnlySpan<int> mantissas, bool densePairs)
    {
        if (mantissas.Length != (long)targets * sources)
            throw new ArgumentException($"{mantissas.Length} mantissas for a {targets}x{sources} block");
        var copy = mantissas.ToArray();
        return FromColumns(targets, sources, (j, column) =>
        {
            for (int i = 0; i < column.Length; i++) column[i] = copy[(long)i * sources + j];
        }, densePairs);
    }

    /// <summary>Fills one source's column (length = targets) of mantissas.</summary>
    public delegate void ColumnFiller(int source, Span<int> column);

    /// <summary>
    /// A block filled column by column, so that a large generated block never exists in any wider form
    /// than the one it is stored in (a 10^8-synapse 8-bit network needs 10^8 bytes, not 8·10^8).
    /// </summary>
    public static MantissaBlock FromColumns(int targets, int sources, ColumnFiller fill) => FromColumns(targets, sources, fill, true);

    /// <summary>As <see cref="FromColumns(int, int, ColumnFiller)"/>, with or without the dense-pairs copy of a cache-sized 8-bit block.</summary>
    public static MantissaBlock FromColumns(int targets, int sources, ColumnFiller fill, bool densePairs)
    {
        ArgumentNullException.ThrowIfNull(fill);
        if (targets < 0 || sources < 0) throw new ArgumentOutOfRangeException(nameof(targets), $"a block of {targets}x{sources}");
        int stride = (targets + Lane - 1) / Lane * Lane;
        long length = (long)stride * sources + 64; // slack: a vector load at a column's end stays inside the array
        var column = new int[targets];
        var nonzero = new int[sources];
        // First pass over the columns decides the width; the second stores. Filling twice keeps the
        // peak memory at the stored size.
        int maxAbs = 0;
        long total = 0;
        for (int j = 0; j < sources; j++)
        {
            fill(j, column);
            foreach (var m in column)
            {
                if (m == int.MinValue) throw new ArgumentException($"source {j}: mantissa {m} has no magnitude in int32");
                maxAbs = Math.Max(maxAbs, Math.Abs(m));
                if (m != 0) total++;
            }
        }
        if (maxAbs <= short.MaxValue && targets <= ushort.MaxValue + 1 && total * SparseBelow <= (long)stride * sources && total <= Array.MaxLength)
            return Sparse(targets, sources, stride, maxAbs, (int)total, fill);
        sbyte[]? w8 = maxAbs <= sbyte.MaxValue ? new sbyte[length] : null;
        short[]? w16 = w8 is null && maxAbs <= short.MaxValue ? new short[length] : null;
        int[]? w32 = w8 is null && w16 is null ? new int[length] : null;
        for (int j = 0; j < sources; j++)
        {
            Array.Clear(column);
            fill(j, column);
            long at = (long)j * stride;
            int nz = 0;
            for (int i = 0; i < targets; i++)
            {
                int m = column[i];
                if (m != 0) nz++;
                if (Math.Abs(m) > maxAbs) throw new ArgumentException($"source {j}: the filler gave a different column the second time");
                if (w8 is not null) w8[at + i] = (sbyte)m;
                else if (w16 is not null) w16[at + i] = (short)m;
                else w32![at + i] = m;
            }
            nonzero[j] = nz;
        }
        return new MantissaBlock(targets, sources, stride, maxAbs, w8, w16, w32, nonzero, densePairs);
    }

    private static MantissaBlock Sparse(int targets, int sources, int stride, int maxAbs, int total, ColumnFiller fill)
    {
        var start = new int[sources + 1];
        var rows = new ushort[total];
        var values = maxAbs <= sbyte.MaxValue ? new sbyte[total] : null;
        var values16 = values is null ? new short[total] : null;
        var nonzero = new int[sources];
        var column = new int[targets];
        int k = 0;
        for (int j = 0; j < sources; j++)
        {
            Array.Clear(column);
            fill(j, column);
            start[j] = k;
            for (int i = 0; i < targets; i++)
                if (column[i] != 0)
                {
                    if (k == total || Math.Abs(column[i]) > maxAbs) throw new ArgumentException($"source {j}: the filler gave a different column the second time");
                    rows[k] = (ushort)i;
                    if (values is not null) values[k] = (sbyte)column[i];
                    else values16![k] = (short)column[i];
                    k++;
                }
            nonzero[j] = k - start[j];
        }
        start[sources] = k;
        return new MantissaBlock(targets, sources, stride, maxAbs, null, null, null, nonzero, false, start, rows, values, values16);
    }

    private static (sbyte[], int[], int) BuildPairs(int targets, int sources, int stride, sbyte[] w8)
    {
        int pairStride = (targets + 63) / 64 * 64;
        int pairs = (sources + 1) / 2;
        var p = new sbyte[(long)pairs * pairStride * 2 + 64];
        var rowSums = new int[pairStride];
        for (int j = 0; j < sources; j++)
            for (int i = 0; i < targets; i++)
            {
                sbyte m = w8[(long)j * stride + i];
                p[((long)(j / 2) * pairStride + i) * 2 + (j & 1)] = m;
                rowSums[i] += m;
            }
        return (p, rowSums, pairStride);
    }

    /// <summary>The mantissas as a row-major [target, source] matrix (what <see cref="FromRowMajor(int, int, ReadOnlySpan{int})"/> takes): for the wire and for inspection.</summary>
    public int[] ToRowMajor()
    {
        var m = new int[(long)Targets * Sources];
        for (int j = 0; j < Sources; j++)
        {
            if (_sparseStart is not null)
            {
                for (int k = _sparseStart[j]; k < _sparseStart[j + 1]; k++) m[(long)_sparseRows![k] * Sources + j] = SparseValue(k);
                continue;
            }
            for (int i = 0; i < Targets; i++) m[(long)i * Sources + j] = Mantissa(i, j);
        }
        return m;
    }

    private int SparseValue(int k) => _sparseValues is not null ? _sparseValues[k] : _sparseValues16![k];

    /// <summary>The mantissa of (target, source).</summary>
    public int Mantissa(int target, int source)
    {
        if (_sparseStart is not null)
        {
            for (int k = _sparseStart[source]; k < _sparseStart[source + 1]; k++)
                if (_sparseRows![k] == target) return SparseValue(k);
            return 0;
        }
        long at = (long)source * Stride + target;
        return _w8 is not null ? _w8[at] : _w16 is not null ? _w16[at] : _w32![at];
    }

    /// <summary>
    /// acc[i] = Σ_j m_ij · payload_j over the nonzero payloads, exactly (int64), for every target i; returns
    /// the synaptic events: nonzero payloads meeting nonzero weights.
    /// </summary>
    public long Accumulate(ReadOnlySpan<long> payloads, Span<long> acc) => Accumulate(payloads, acc, KernelPath.Auto);

    /// <summary>As <see cref="Accumulate(ReadOnlySpan{long}, Span{long})"/> on a chosen path (tests hold every path to the same sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first step: no tier-0 code (5x slower here)
    public long Accumulate(ReadOnlySpan<long> payloads, Span<long> acc, KernelPath path)
    {
        if (payloads.Length != Sources) throw new ArgumentException($"{payloads.Length} payloads for {Sources} sources");
        if (acc.Length != Targets) throw new ArgumentException($"{acc.Length} sums for {Targets} targets");
        bool auto = path == KernelPath.Auto;
        if (path == KernelPath.DensePairs && _pairs is null) path = KernelPath.Auto;
        if (path == KernelPath.Auto) path = Avx512F.IsSupported && _w32 is null ? (Stride <= TiledMaxStride ? KernelPath.Tiled : KernelPath.RowAdds) : KernelPath.Scalar;
        else if (path != KernelPath.Scalar && !(Avx512F.IsSupported && _w32 is null)) path = KernelPath.Scalar;

        var scratch = Scratch.For(Sources, Stride);
        var sum64 = scratch.Sum64.AsSpan(0, Stride);
        sum64.Clear();
        long events = 0;
        if (_sparseStart is not null)
        {
            for (int j = 0; j < payloads.Length; j++)
            {
                long p = payloads[j];
                if (p == 0) continue;
                events += _nonzero[j];
                for (int k = _sparseStart[j]; k < _sparseStart[j + 1]; k++)
                    sum64[_sparseRows![k]] = checked(sum64[_sparseRows[k]] + p * SparseValue(k));
            }
            sum64[..Targets].CopyTo(acc);
            return events;
        }
        var run = new Run(scratch);
        if (TryGatherOneRun(payloads, scratch, ref run, ref events))
        {
            // Dense pairs pay off when most sources are active: 20-25% faster than the tiles at 90-100%, slower at 50% (docs/benchmarks/mesh.md).
            bool dense = path == KernelPath.DensePairs || (auto && run.Active * 4 >= Sources * 3);
            if (dense && _pairs is not null && run.MaxPayload <= 64 && (long)Sources * 254 * run.MaxPayload < int.MaxValue / 2)
            {
                RunDensePairs(payloads, (int)run.MaxPayload, scratch, sum64);
                sum64[..Targets].CopyTo(acc);
                return events;
            }
            if (path == KernelPath.DensePairs) path = Stride <= TiledMaxStride ? KernelPath.Tiled : KernelPath.RowAdds;
            Flush(ref run, sum64, scratch.Sum32, path);
            sum64[..Targets].CopyTo(acc);
            return events;
        }
        events = 0;
        run = new Run(scratch);
        long budget = 0;
        // Sums are built in int32 runs: a run holds sources while Σ|payload|·max|m| stays below 2^31, so
        // no int32 partial sum can overflow; a run's sums are then added into int64. Spike counts are
        // small, so one run usually takes the whole step (TryGatherOneRun); a payload too large for any
        // run (|p|·max|m| ≥ 2^31) is added in int64 on its own.
        for (int j = 0; j < payloads.Length; j++)
        {
            long p = payloads[j];
            if (p == 0) continue;
            events += _nonzero[j];
            if (_nonzero[j] == 0) continue;
            long magnitude = p == long.MinValue || Math.Abs(p) > int.MaxValue ? long.MaxValue : Math.Abs(p) * MaxAbsMantissa;
            if (magnitude > int.MaxValue)
            {
                AddColumn64(j, p, sum64);
                continue;
            }
            if (budget + magnitude > int.MaxValue)
            {
                Flush(ref run, sum64, scratch.Sum32, path);
                budget = 0;
            }
            if (p == 1) scratch.Plus[run.Plus++] = j;
            else if (p == -1) scratch.Minus[run.Minus++] = j;
            else
            {
                scratch.Index[run.Other] = j;
                scratch.Value[run.Other++] = (int)p;
            }
            budget += magnitude;
        }
        Flush(ref run, sum64, scratch.Sum32, path);
        sum64[..Targets].CopyTo(acc);
        return events;
    }

    /// <summary>
    /// The common case in two branch-free passes: the nonzero sources, then split into +1, −1 and
    /// others (payloads of ±1, the commonest counts, are added or subtracted without a multiply). At
    /// half the sources active a branch per source mispredicts half the time, which cost more than the
    /// sums themselves on a core's short columns. False when the payloads need more than one int32 run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryGatherOneRun(ReadOnlySpan<long> payloads, Scratch scratch, ref Run run, ref long events)
    {
        var index = scratch.Gather;
        var nonzero = _nonzero;
        int n = 0, active = 0;
        long sumAbs = 0, big = 0, maxAbs = 0;
        for (int j = 0; j < payloads.Length; j++)
        {
            long p = payloads[j];
            long sign = p >> 63;
            long abs = (p ^ sign) - sign;           // negative only for long.MinValue
            big |= abs >> 31;                        // nonzero when |p| ≥ 2^31 (or long.MinValue)
            sumAbs += abs;
            maxAbs = Math.Max(maxAbs, abs);
            int on = p != 0 ? 1 : 0;
            active += on;
            index[n] = j;
            n += on & (nonzero[j] != 0 ? 1 : 0);     // sources whose column is empty make events of no sum
            events += nonzero[j] & -on;
        }
        run.Active = active;
        run.MaxPayload = maxAbs;
        if (big != 0 || sumAbs > int.MaxValue / Math.Max(1, MaxAbsMantissa)) return false;
        int plus = 0, minus = 0, other = 0;
        var plusIndex = run.PlusIndex; var minusIndex = run.MinusIndex; var otherIndex = run.Index; var value = run.Value;
        for (int k = 0; k < n; k++)
        {
            int j = index[k];
            int p = (int)payloads[j];
            plusIndex[plus] = j;
            minusIndex[minus] = j;
            otherIndex[other] = j;
            value[other] = p;
            plus += p == 1 ? 1 : 0;
            minus += p == -1 ? 1 : 0;
            other += (uint)(p + 1) > 2u ? 1 : 0;     // neither −1, 0 nor +1
        }
        run.Plus = plus;
        run.Minus = minus;
        run.Other = other;
        return true;
    }

    /// <summary>The sources of one int32 run: those sending +1, those sending −1, and the others with their payloads.</summary>
    private struct Run(Scratch s)
    {
        public readonly int[] PlusIndex = s.Plus, MinusIndex = s.Minus, Index = s.Index, Value = s.Value;
        public int Plus, Minus, Other;
        public int Active;            // nonzero payloads
        public long MaxPayload;       // max |payload|
    }

    /// <summary>
    /// Every source, two at a time: u = payload + k (0..2k, k = max |payload|) as bytes against the 8-bit
    /// weights with vpmaddubsw (|u₀m₀ + u₁m₁| ≤ 508k ≤ 2^15 − 1 for k ≤ 64: no saturation), summed in int16 for
    /// as many pairs as cannot overflow, then in int32; finally Σ m·u − k·Σ m = Σ m·payload, exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunDensePairs(ReadOnlySpan<long> payloads, int k, Scratch scratch, Span<long> sum64)
    {
        int pairs = (Sources + 1) / 2;
        var packed = scratch.Pairs;
        for (int q = 0; q < pairs; q++)
        {
            int lo = (int)payloads[2 * q] + k;
            int hi = (2 * q + 1 < Sources ? (int)payloads[2 * q + 1] : 0) + k;
            packed[q] = (ushort)(lo | hi << 8);
        }
        int group = Math.Max(1, short.MaxValue / (508 * Math.Max(1, k)));
        ref sbyte w = ref MemoryMarshal.GetArrayDataReference(_pairs!);
        ref long out64 = ref MemoryMarshal.GetReference(sum64);
        var kv = Vector512.Create(k);
        for (int t0 = 0; t0 < _pairStride; t0 += 64)
        {
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default;
            for (int q0 = 0; q0 < pairs; q0 += group)
            {
                Vector512<short> a0 = default, a1 = default;
                int q1 = Math.Min(pairs, q0 + group);
                for (int q = q0; q < q1; q++)
                {
                    var u = Vector512.Create(packed[q]).AsByte();
                    ref sbyte col = ref Unsafe.Add(ref w, ((nint)q * _pairStride + t0) * 2);
                    a0 += Avx512BW.MultiplyAddAdjacent(u, Vector512.LoadUnsafe(ref col));
                    a1 += Avx512BW.MultiplyAddAdjacent(u, Vector512.LoadUnsafe(ref Unsafe.Add(ref col, 64)));
                }
                c0 += Avx512F.ConvertToVector512Int32(a0.GetLower());
                c1 += Avx512F.ConvertToVector512Int32(a0.GetUpper());
                c2 += Avx512F.ConvertToVector512Int32(a1.GetLower());
                c3 += Avx512F.ConvertToVector512Int32(a1.GetUpper());
            }
            ref int rs = ref MemoryMarshal.GetArrayDataReference(_rowSums!);
            // sum64 is as long as Stride (a multiple of 16), _pairStride may run past it: only whole vectors inside.
            if (t0 < Stride) AddWidened(ref Unsafe.Add(ref out64, t0), c0 - kv * Vector512.LoadUnsafe(ref rs, (nuint)t0));
            if (t0 + 16 < Stride) AddWidened(ref Unsafe.Add(ref out64, t0 + 16), c1 - kv * Vector512.LoadUnsafe(ref rs, (nuint)t0 + 16));
            if (t0 + 32 < Stride) AddWidened(ref Unsafe.Add(ref out64, t0 + 32), c2 - kv * Vector512.LoadUnsafe(ref rs, (nuint)t0 + 32));
            if (t0 + 48 < Stride) AddWidened(ref Unsafe.Add(ref out64, t0 + 48), c3 - kv * Vector512.LoadUnsafe(ref rs, (nuint)t0 + 48));
        }
    }

    private void AddColumn64(int source, long p, Span<long> sum64)
    {
        for (int i = 0; i < Targets; i++) sum64[i] = checked(sum64[i] + p * Mantissa(i, source));
    }

    private void Flush(ref Run run, Span<long> sum64, int[] sum32, KernelPath path)
    {
        if (run.Plus + run.Minus + run.Other == 0) return;
        switch (path)
        {
            case KernelPath.Tiled when _w8 is not null: RunTiled<Bits8>(in run, sum64); break;
            case KernelPath.Tiled: RunTiled<Bits16>(in run, sum64); break;
            case KernelPath.RowAdds when _w8 is not null: RunRowAdds<Bits8>(in run, sum64, sum32); break;
            case KernelPath.RowAdds: RunRowAdds<Bits16>(in run, sum64, sum32); break;
            default: RunScalar(in run, sum64, sum32); break;
        }
        run.Plus = run.Minus = run.Other = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunScalar(in Run run, Span<long> sum64, int[] sum32)
    {
        var s = sum32.AsSpan(0, Targets);
        s.Clear();
        for (int k = 0; k < run.Plus; k++) AddScalar(run.PlusIndex[k], 1, s);
        for (int k = 0; k < run.Minus; k++) AddScalar(run.MinusIndex[k], -1, s);
        for (int k = 0; k < run.Other; k++) AddScalar(run.Index[k], run.Value[k], s);
        for (int i = 0; i < s.Length; i++) sum64[i] += s[i];
    }

    private void AddScalar(int source, int p, Span<int> s)
    {
        int at = checked(source * Stride);
        if (_w8 is not null) { var col = _w8.AsSpan(at, Targets); for (int i = 0; i < col.Length; i++) s[i] += p * col[i]; }
        else if (_w16 is not null) { var col = _w16.AsSpan(at, Targets); for (int i = 0; i < col.Length; i++) s[i] += p * col[i]; }
        else { var col = _w32!.AsSpan(at, Targets); for (int i = 0; i < col.Length; i++) s[i] += p * col[i]; }
    }

    /// <summary>How a kernel reads 16 targets' weights of one column as int32: from 8-bit or from 16-bit mantissas (9-16-bit profiles).</summary>
    private interface IWidth
    {
        static abstract int Bytes { get; }
        static abstract Vector512<int> Load16(ref byte column, nint target);
    }

    private readonly struct Bits8 : IWidth
    {
        public static int Bytes => 1;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<int> Load16(ref byte column, nint target) =>
            Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref column, target))));
    }

    private readonly struct Bits16 : IWidth
    {
        public static int Bytes => 2;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<int> Load16(ref byte column, nint target) =>
            Avx512F.ConvertToVector512Int32(Vector256.LoadUnsafe(ref Unsafe.As<byte, short>(ref Unsafe.Add(ref column, target * 2))));
    }

    /// <summary>The first byte of the dense weights (8- or 16-bit).</summary>
    private ref byte Weights0() => ref _w8 is not null
        ? ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetArrayDataReference(_w8))
        : ref Unsafe.As<short, byte>(ref MemoryMarshal.GetArrayDataReference(_w16!));

    /// <summary>
    /// 64 targets at a time, their sums in four registers, over every nonzero source of the run; the last
    /// 16-48 targets (a narrow core's whole block) in one more pass over the sources, not one pass per 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunTiled<T>(in Run run, Span<long> sum64) where T : struct, IWidth
    {
        ref byte w = ref Weights0();
        nint columnBytes = (nint)Stride * T.Bytes;
        ref long out64 = ref MemoryMarshal.GetReference(sum64);
        int t = 0;
        for (; t + 4 * Lane <= Stride; t += 4 * Lane) Tile<T, Four>(in run, ref w, columnBytes, t, ref out64);
        switch ((Stride - t) / Lane)
        {
            case 1: Tile<T, One>(in run, ref w, columnBytes, t, ref out64); break;
            case 2: Tile<T, Two>(in run, ref w, columnBytes, t, ref out64); break;
            case 3: Tile<T, Three>(in run, ref w, columnBytes, t, ref out64); break;
        }
    }

    /// <summary>How many 16-target vectors one tile holds: a constant of the compiled loop, so no test runs inside it.</summary>
    private interface ILanes { static abstract int Count { get; } }
    private readonly struct One : ILanes { public static int Count => 1; }
    private readonly struct Two : ILanes { public static int Count => 2; }
    private readonly struct Three : ILanes { public static int Count => 3; }
    private readonly struct Four : ILanes { public static int Count => 4; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T, TN>(in Run run, ref byte w, nint columnBytes, int t, ref long out64) where T : struct, IWidth where TN : struct, ILanes
    {
        Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
        ref byte tile = ref Unsafe.Add(ref w, (nint)t * T.Bytes);
        for (int k = 0; k < run.Plus; k++)
        {
            ref byte col = ref Unsafe.Add(ref tile, run.PlusIndex[k] * columnBytes);
            a0 += T.Load16(ref col, 0);
            if (TN.Count > 1) a1 += T.Load16(ref col, 16);
            if (TN.Count > 2) a2 += T.Load16(ref col, 32);
            if (TN.Count > 3) a3 += T.Load16(ref col, 48);
        }
        for (int k = 0; k < run.Minus; k++)
        {
            ref byte col = ref Unsafe.Add(ref tile, run.MinusIndex[k] * columnBytes);
            a0 -= T.Load16(ref col, 0);
            if (TN.Count > 1) a1 -= T.Load16(ref col, 16);
            if (TN.Count > 2) a2 -= T.Load16(ref col, 32);
            if (TN.Count > 3) a3 -= T.Load16(ref col, 48);
        }
        for (int k = 0; k < run.Other; k++)
        {
            ref byte col = ref Unsafe.Add(ref tile, run.Index[k] * columnBytes);
            var p = Vector512.Create(run.Value[k]);
            a0 += p * T.Load16(ref col, 0);
            if (TN.Count > 1) a1 += p * T.Load16(ref col, 16);
            if (TN.Count > 2) a2 += p * T.Load16(ref col, 32);
            if (TN.Count > 3) a3 += p * T.Load16(ref col, 48);
        }
        AddWidened(ref Unsafe.Add(ref out64, t), a0);
        if (TN.Count > 1) AddWidened(ref Unsafe.Add(ref out64, t + 16), a1);
        if (TN.Count > 2) AddWidened(ref Unsafe.Add(ref out64, t + 32), a2);
        if (TN.Count > 3) AddWidened(ref Unsafe.Add(ref out64, t + 48), a3);
    }

    /// <summary>
    /// Row adds: every nonzero source's whole column added into int32 sums, four columns per pass over the
    /// sums (whole columns measured faster than chunks of 1,024 or 4,096 targets whose sums would stay in L1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunRowAdds<T>(in Run run, Span<long> sum64, int[] sum32) where T : struct, IWidth
    {
        ref int s = ref MemoryMarshal.GetArrayDataReference(sum32);
        ref long out64 = ref MemoryMarshal.GetReference(sum64);
        Array.Clear(sum32, 0, Stride);
        RowAdds<T>(run.PlusIndex, null, 1, run.Plus, ref s);
        RowAdds<T>(run.MinusIndex, null, -1, run.Minus, ref s);
        RowAdds<T>(run.Index, run.Value, 0, run.Other, ref s);
        for (int t = 0; t < Stride; t += Lane) AddWidened(ref Unsafe.Add(ref out64, t), Vector512.LoadUnsafe(ref Unsafe.Add(ref s, t)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RowAdds<T>(int[] index, int[]? value, int sign, int count, ref int s) where T : struct, IWidth
    {
        ref byte w = ref Weights0();
        nint columnBytes = (nint)Stride * T.Bytes;
        int k = 0;
        // Four columns at a time: the int32 sums are read and written once per four weights, not once per
        // weight (on a long column they live in L2, and their traffic, not the weights', was the limit).
        for (; k + 4 <= count; k += 4)
        {
            ref byte c0 = ref Unsafe.Add(ref w, index[k] * columnBytes);
            ref byte c1 = ref Unsafe.Add(ref w, index[k + 1] * columnBytes);
            ref byte c2 = ref Unsafe.Add(ref w, index[k + 2] * columnBytes);
            ref byte c3 = ref Unsafe.Add(ref w, index[k + 3] * columnBytes);
            for (int n = k + 4; n < Math.Min(count, k + 8); n++)
            {
                // The next columns start far away: ask for their first lines now; the hardware prefetcher follows.
                byte* next = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref w, index[n] * columnBytes));
                Sse.Prefetch0(next);
                Sse.Prefetch0(next + 64);
            }
            if (value is null)
            {
                var p = Vector512.Create(sign);
                for (int t = 0; t < Stride; t += Lane)
                {
                    ref int st = ref Unsafe.Add(ref s, t);
                    var sum = T.Load16(ref c0, t) + T.Load16(ref c1, t) + T.Load16(ref c2, t) + T.Load16(ref c3, t);
                    (Vector512.LoadUnsafe(ref st) + p * sum).StoreUnsafe(ref st);
                }
            }
            else
            {
                var p0 = Vector512.Create(value[k]); var p1 = Vector512.Create(value[k + 1]);
                var p2 = Vector512.Create(value[k + 2]); var p3 = Vector512.Create(value[k + 3]);
                for (int t = 0; t < Stride; t += Lane)
                {
                    ref int st = ref Unsafe.Add(ref s, t);
                    var sum = p0 * T.Load16(ref c0, t) + p1 * T.Load16(ref c1, t)
                        + p2 * T.Load16(ref c2, t) + p3 * T.Load16(ref c3, t);
                    (Vector512.LoadUnsafe(ref st) + sum).StoreUnsafe(ref st);
                }
            }
        }
        for (; k < count; k++)
        {
            ref byte col = ref Unsafe.Add(ref w, index[k] * columnBytes);
            var p = Vector512.Create(value is null ? sign : value[k]);
            for (int t = 0; t < Stride; t += Lane)
            {
                ref int st = ref Unsafe.Add(ref s, t);
                (Vector512.LoadUnsafe(ref st) + p * T.Load16(ref col, t)).StoreUnsafe(ref st);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened(ref long at, Vector512<int> v)
    {
        var (lo, hi) = Vector512.Widen(v);
        (Vector512.LoadUnsafe(ref at) + lo).StoreUnsafe(ref at);
        (Vector512.LoadUnsafe(ref at, 8) + hi).StoreUnsafe(ref at, 8);
    }

    /// <summary>Per-thread working arrays, grown as needed: a step allocates nothing.</summary>
    private sealed class Scratch
    {
        [ThreadStatic] private static Scratch? _current;
        public int[] Index = [];
        public int[] Value = [];
        public int[] Plus = [];
        public int[] Minus = [];
        public int[] Gather = [];
        public ushort[] Pairs = [];
        public long[] Sum64 = [];
        public int[] Sum32 = [];

        public static Scratch For(int sources, int stride)
        {
            var s = _current ??= new Scratch();
            if (s.Index.Length < sources) { s.Index = new int[sources]; s.Value = new int[sources]; s.Plus = new int[sources]; s.Minus = new int[sources]; s.Gather = new int[sources]; s.Pairs = new ushort[sources / 2 + 1]; }
            if (s.Sum64.Length < stride) { s.Sum64 = new long[stride]; s.Sum32 = new int[stride]; }
            return s;
        }
    }
}
