using System.Runtime.InteropServices;
using TorchSharp;

namespace HybridSpike.Training;

/// <summary>
/// The one place where the process is prepared for libtorch: memory reuse settings, thread
/// count, and a clear error when the native library cannot load. Train, eval, tests and
/// benchmarks all call <see cref="EnsureInitialized"/> before their first tensor.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _initialized;

    /// <summary>
    /// Prepares the process once (later calls do nothing):
    /// <list type="bullet">
    /// <item>glibc keeps freed memory for reuse (<c>M_MMAP_MAX=0</c>, <c>M_TRIM_THRESHOLD</c> 2 GiB,
    /// <c>M_TOP_PAD</c> 64 MiB) and libtorch uses huge pages (<c>THP_MEM_ALLOC_ENABLE=1</c>):
    /// a fresh 4 KiB page costs about 6 µs here and with glibc's defaults a training step was
    /// 2-10x slower (../shared/reference/performance.md, section 1);</item>
    /// <item>torch uses <paramref name="threads"/> threads (all cores when null).</item>
    /// </list>
    /// </summary>
    public static void EnsureInitialized(int? threads = null)
    {
        lock (Gate)
        {
            if (_initialized) return;
            if (OperatingSystem.IsLinux()) ConfigureGlibcMemoryReuse();
            try
            {
                torch.set_num_threads(threads ?? Environment.ProcessorCount);
            }
            catch (TypeInitializationException e)
            {
                throw new InvalidOperationException(
                    "TorchSharp's native library failed to load: " + (e.InnerException?.Message ?? e.Message) +
                    ". If it mentions GLIBCXX_3.4.32, rebuild (dotnet build): the build marks that version need weak; see README, Troubleshooting.", e);
            }
            _initialized = true;
        }
    }

    /// <summary>HybridSpike's version, stamped into checkpoints and artifacts.</summary>
    public static string Version { get; } =
        typeof(TorchRuntime).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_MAX = -4;

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    [DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int SetNativeEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    private static void ConfigureGlibcMemoryReuse()
    {
        // Only glibc: under another allocator (say mimalloc preloaded) mallopt is absent or a no-op.
        try
        {
            Mallopt(M_MMAP_MAX, 0);
            Mallopt(M_TRIM_THRESHOLD, int.MaxValue);
            Mallopt(M_TOP_PAD, 64 << 20);
            // libtorch reads this with getenv on its first CPU allocation; .NET's own
            // Environment.SetEnvironmentVariable does not reach the native environment.
            SetNativeEnv("THP_MEM_ALLOC_ENABLE", "1", 0);
        }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }
}
