using System.Reflection;
using System.Text;
using HybridSpike.Build;

namespace HybridSpike.Training.Tests.TorchNative;

/// <summary>The build step that makes TorchSharp's native library load on Debian 12 (build/TorchNative).</summary>
public sealed class ElfVersionPatchTests : IDisposable
{
    private const string Version = ElfVersionPatch.TorchSharpVersion;
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-elf-").FullName;

    private static string PackageCopy => typeof(ElfVersionPatchTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TorchSharpPackageNative").Value!;

    private static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string? Host => ElfVersionPatch.FindHostLibstdcxx();

    private static bool HostLacksVersion => Host is { } h && !ElfVersionPatch.ReadVersionDefinitions(File.ReadAllBytes(h)).Contains(Version);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CopyOfPackageLibrary()
    {
        var path = Path.Combine(_dir, "libLibTorchSharp.so");
        File.Copy(PackageCopy, path);
        return path;
    }

    [Fact]
    public void The_package_library_needs_the_version_strongly_and_only_for_ios_base_library_init()
    {
        var elf = File.ReadAllBytes(PackageCopy);
        var need = ElfVersionPatch.ReadVersionNeeds(elf).Single(n => n.Version == Version);
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.False(need.IsWeak); // and the build has not touched the NuGet cache
        Assert.Equal(["_ZSt21ios_base_library_initv"], ElfVersionPatch.SymbolsUnderVersion(elf, need.Index));
    }

    [Fact]
    public void Patching_marks_the_need_weak_changes_one_byte_and_is_idempotent()
    {
        // host: null means "unknown", which patches whatever this machine's libstdc++ has.
        var path = CopyOfPackageLibrary();
        var stamp = File.GetLastWriteTimeUtc(path);

        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatch.MarkWeak(path, Version, null));
        var once = File.ReadAllBytes(path);
        Assert.True(ElfVersionPatch.ReadVersionNeeds(once).Single(n => n.Version == Version).IsWeak);
        var original = File.ReadAllBytes(PackageCopy);
        Assert.Single(Enumerable.Range(0, once.Length), i => once[i] != original[i]);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path)); // so MSBuild's incremental copy keeps the patched file

        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatch.MarkWeak(path, Version, null));
        Assert.Equal(once, File.ReadAllBytes(path));
    }

    [Fact]
    public void Patching_is_skipped_where_the_host_libstdcxx_has_the_version()
    {
        // A host library that defines the version: the real one with GLIBCXX_3.4.30 renamed in its string table.
        var host = File.ReadAllBytes(Host!);
        var from = Encoding.ASCII.GetBytes("GLIBCXX_3.4.30\0");
        var at = host.AsSpan().IndexOf(from);
        Assert.True(at > 0);
        Encoding.ASCII.GetBytes(Version + "\0").CopyTo(host, at);
        var newerHost = Path.Combine(_dir, "libstdc++.so.6");
        File.WriteAllBytes(newerHost, host);
        Assert.Contains(Version, ElfVersionPatch.ReadVersionDefinitions(host));

        var path = CopyOfPackageLibrary();
        Assert.Equal(ElfPatchOutcome.HostProvides, ElfVersionPatch.MarkWeak(path, Version, newerHost));
        Assert.Equal(File.ReadAllBytes(PackageCopy), File.ReadAllBytes(path));
    }

    [Fact]
    public void A_library_without_the_need_is_left_alone()
    {
        var path = Path.Combine(_dir, "libstdc++.so.6");
        File.Copy(Host!, path);
        Assert.Equal(ElfPatchOutcome.NotNeeded, ElfVersionPatch.MarkWeak(path, Version, Host));
    }

    [Fact]
    public void The_build_output_copy_is_patched_where_the_host_needs_it()
    {
        var need = ElfVersionPatch.ReadVersionNeeds(File.ReadAllBytes(OutputCopy)).Single(n => n.Version == Version);
        Assert.Equal(HostLacksVersion, need.IsWeak);
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_refused_by_name()
    {
        var path = Path.Combine(_dir, "bogus.so");
        File.WriteAllText(path, "not an elf file at all, just text that is long enough to have a header....");
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionPatch.MarkWeak(path, Version, Host));
        Assert.Contains("ELF", e.Message);
    }

    [Fact]
    public void A_truncated_ELF_file_is_refused()
    {
        var path = Path.Combine(_dir, "truncated.so");
        File.WriteAllBytes(path, File.ReadAllBytes(PackageCopy).AsSpan(0, 100_000).ToArray());
        Assert.Throws<InvalidDataException>(() => ElfVersionPatch.MarkWeak(path, Version, Host));
    }
}
