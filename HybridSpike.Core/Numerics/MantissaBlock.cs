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
    /// <summary>Columns of at most this many targets are register-tiled; longer ones stream by rows (measured: docs/benchmarks/mesh.md).</summary>
    private const int TiledMaxStride = 1024;

    private readonly sbyte[]? _w8;
    private readonly short[]? _w16;
    private readonly int[]? _w32;
    private readonly int[] _nonzero;   // per source: nonzero weights in its column (the synaptic events one nonzero payload makes)

    private MantissaBlock(int targets, int sources, int stride, int maxAbs, sbyte[]? w8, short[]? w16, int[]? w32, int[] nonzero)
    {
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
    public int BytesPerWeight => _w8 is not null ? 1 : _w16 is not null ? 2 : 4;

    /// <summary>Bytes the block holds (weights with their padding, and the per-source counts).</summary>
    public long Bytes => (_w8?.LongLength ?? 0) + 2 * (_w16?.LongLength ?? 0) + 4 * (_w32?.LongLength ?? 0) + 4L * _nonzero.Length;

    /// <summary>Nonzero weights in source <paramref name="source"/>'s column.</summary>
    public int NonzeroOf(int source) => _nonzero[source];

    /// <summary>The block of a row-major [target, source] mantissa matrix (<see cref="Network.FixedPointWeights"/>'s layout).</summary>
    public static MantissaBlock FromRowMajor(int targets, int sources, ReadOnlySpan<int> mantissas)
    {
        if (mantissas.Length != (long)targets * sources)
            throw new ArgumentException($"{mantissas.Length} mantissas for a {targets}x{sources} block");
        var copy = mantissas.ToArray();
        return FromColumns(targets, sources, (j, column) =>
        {
            for (int i = 0; i < column.Length; i++) column[i] = copy[(long)i * sources + j];
        });
    }

    /// <summary>Fills one source's column (length = targets) of mantissas.</summary>
    public delegate void ColumnFiller(int source, Span<int> column);

    /// <summary>
    /// A block filled column by column, so that a large generated block never exists in any wider form
    /// than the one it is stored in (a 10^8-synapse 8-bit network needs 10^8 bytes, not 8·10^8).
    /// </summary>
    public static MantissaBlock FromColumns(int targets, int sources, ColumnFiller fill)
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
        for (int j = 0; j < sources; j++)
        {
            fill(j, column);
            foreach (var m in column)
            {
                if (m == int.MinValue) throw new ArgumentException($"source {j}: mantissa {m} has no magnitude in int32");
                maxAbs = Math.Max(maxAbs, Math.Abs(m));
            }
        }
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
        return new MantissaBlock(targets, sources, stride, maxAbs, w8, w16, w32, nonzero);
    }

    /// <summary>The mantissa of (target, source).</summary>
    public int Mantissa(int target, int source)
    {
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
        if (path == KernelPath.Auto) path = Avx512F.IsSupported && _w8 is not null ? (Stride <= TiledMaxStride ? KernelPath.Tiled : KernelPath.RowAdds) : KernelPath.Scalar;
        else if (path != KernelPath.Scalar && !(Avx512F.IsSupported && _w8 is not null)) path = KernelPath.Scalar;

        var scratch = Scratch.For(Sources, Stride);
        var sum64 = scratch.Sum64.AsSpan(0, Stride);
        sum64.Clear();
        long events = 0;
        int count = 0;
        long budget = 0;
        // Sums are built in int32 runs: a run holds sources while Σ|payload|·max|m| stays below 2^31, so
        // no int32 partial sum can overflow; a run's sums are then added into int64. Spike counts are
        // small, so one run usually takes the whole step; a payload too large for any run (|p|·max|m|
        // ≥ 2^31) is added in int64 on its own.
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
                Run(scratch.Index, scratch.Value, count, sum64, scratch.Sum32, path);
                count = 0;
                budget = 0;
            }
            scratch.Index[count] = j;
            scratch.Value[count] = (int)p;
            count++;
            budget += magnitude;
        }
        if (count > 0) Run(scratch.Index, scratch.Value, count, sum64, scratch.Sum32, path);
        sum64[..Targets].CopyTo(acc);
        return events;
    }

    private void AddColumn64(int source, long p, Span<long> sum64)
    {
        for (int i = 0; i < Targets; i++) sum64[i] = checked(sum64[i] + p * Mantissa(i, source));
    }

    private void Run(int[] index, int[] value, int count, Span<long> sum64, int[] sum32, KernelPath path)
    {
        switch (path)
        {
            case KernelPath.Tiled: RunTiled(index, value, count, sum64); break;
            case KernelPath.RowAdds: RunRowAdds(index, value, count, sum64, sum32); break;
            default: RunScalar(index, value, count, sum64, sum32); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunScalar(int[] index, int[] value, int count, Span<long> sum64, int[] sum32)
    {
        var s = sum32.AsSpan(0, Targets);
        s.Clear();
        for (int k = 0; k < count; k++)
        {
            long at = (long)index[k] * Stride;
            int p = value[k];
            if (_w8 is not null) { var col = _w8.AsSpan((int)at, Targets); for (int i = 0; i < col.Length; i++) s[i] += p * col[i]; }
            else if (_w16 is not null) { var col = _w16.AsSpan((int)at, Targets); for (int i = 0; i < col.Length; i++) s[i] += p * col[i]; }
            else { var col = _w32!.AsSpan((int)at, Targets); for (int i = 0; i < col.Length; i++) s[i] += p * col[i]; }
        }
        for (int i = 0; i < s.Length; i++) sum64[i] += s[i];
    }

    /// <summary>64 targets at a time, their sums in four registers, over every nonzero source of the run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunTiled(int[] index, int[] value, int count, Span<long> sum64)
    {
        ref sbyte w = ref MemoryMarshal.GetArrayDataReference(_w8!);
        ref int idx = ref MemoryMarshal.GetArrayDataReference(index);
        ref int val = ref MemoryMarshal.GetArrayDataReference(value);
        ref long out64 = ref MemoryMarshal.GetReference(sum64);
        int t = 0;
        for (; t + 4 * Lane <= Stride; t += 4 * Lane)
        {
            Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int k = 0; k < count; k++)
            {
                ref sbyte col = ref Unsafe.Add(ref w, (nint)Unsafe.Add(ref idx, k) * Stride + t);
                var p = Vector512.Create(Unsafe.Add(ref val, k));
                a0 += p * Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref col));
                a1 += p * Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref Unsafe.Add(ref col, 16)));
                a2 += p * Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref Unsafe.Add(ref col, 32)));
                a3 += p * Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref Unsafe.Add(ref col, 48)));
            }
            AddWidened(ref Unsafe.Add(ref out64, t), a0);
            AddWidened(ref Unsafe.Add(ref out64, t + 16), a1);
            AddWidened(ref Unsafe.Add(ref out64, t + 32), a2);
            AddWidened(ref Unsafe.Add(ref out64, t + 48), a3);
        }
        for (; t < Stride; t += Lane)
        {
            Vector512<int> a = default;
            for (int k = 0; k < count; k++)
            {
                ref sbyte col = ref Unsafe.Add(ref w, (nint)Unsafe.Add(ref idx, k) * Stride + t);
                a += Vector512.Create(Unsafe.Add(ref val, k)) * Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref col));
            }
            AddWidened(ref Unsafe.Add(ref out64, t), a);
        }
    }

    /// <summary>Targets of one chunk of row adds: their int32 sums (16 KB) stay in L1 while the nonzero sources' columns stream by.</summary>
    internal static int RowChunk = 4096;

    /// <summary>
    /// Row adds over chunks of targets: for each chunk, every nonzero source's piece of column is added
    /// into int32 sums held in L1, the next source's piece prefetched (it starts far away; the hardware
    /// prefetcher follows within a piece).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RunRowAdds(int[] index, int[] value, int count, Span<long> sum64, int[] sum32)
    {
        ref sbyte w = ref MemoryMarshal.GetArrayDataReference(_w8!);
        ref int s = ref MemoryMarshal.GetArrayDataReference(sum32);
        ref long out64 = ref MemoryMarshal.GetReference(sum64);
        int chunk = RowChunk;
        for (int t0 = 0; t0 < Stride; t0 += chunk)
        {
            int t1 = Math.Min(Stride, t0 + chunk);
            Array.Clear(sum32, t0, t1 - t0);
            for (int k = 0; k < count; k++)
            {
                ref sbyte col = ref Unsafe.Add(ref w, (nint)index[k] * Stride);
                if (k + 1 < count)
                {
                    sbyte* next = (sbyte*)Unsafe.AsPointer(ref Unsafe.Add(ref w, (nint)index[k + 1] * Stride + t0));
                    Sse.Prefetch0(next);
                    Sse.Prefetch0(next + 64);
                    Sse.Prefetch0(next + 128);
                    Sse.Prefetch0(next + 192);
                }
                var p = Vector512.Create(value[k]);
                for (int t = t0; t < t1; t += Lane)
                {
                    ref int st = ref Unsafe.Add(ref s, t);
                    (Vector512.LoadUnsafe(ref st) + p * Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref Unsafe.Add(ref col, t)))).StoreUnsafe(ref st);
                }
            }
            for (int t = t0; t < t1; t += Lane) AddWidened(ref Unsafe.Add(ref out64, t), Vector512.LoadUnsafe(ref Unsafe.Add(ref s, t)));
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
        public long[] Sum64 = [];
        public int[] Sum32 = [];

        public static Scratch For(int sources, int stride)
        {
            var s = _current ??= new Scratch();
            if (s.Index.Length < sources) { s.Index = new int[sources]; s.Value = new int[sources]; }
            if (s.Sum64.Length < stride) { s.Sum64 = new long[stride]; s.Sum32 = new int[stride]; }
            return s;
        }
    }
}
