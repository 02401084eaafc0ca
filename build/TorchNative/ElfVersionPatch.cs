// Marks a symbol-version need of an ELF shared library as weak (VER_FLG_WEAK), so that the
// dynamic loader accepts a host library that lacks that version.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so was linked with GCC 13 and declares a need for
// GLIBCXX_3.4.32; Debian 12 and Ubuntu 22.04 ship libstdc++ up to 3.4.30. The only symbol under
// that version is std::ios_base_library_init(), which GCC 13's <iostream> references to force
// linking and which no relocation ever calls. A weak version need lets the library load; the
// loader still binds every other symbol with its usual checks.
//
// This file is compiled twice: by MSBuild as an inline task (build/TorchNative/TorchNative.targets)
// and by the test project (with HYBRIDSPIKE_NO_MSBUILD, which leaves the task class out), so it
// sticks to plain C# and netstandard2.0 APIs (what RoslynCodeTaskFactory compiles against).
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
#if !HYBRIDSPIKE_NO_MSBUILD
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif

namespace HybridSpike.Build
{
    /// <summary>One entry of an ELF .gnu.version_r section: a version a library needs from a file.</summary>
    public sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string file, string version, ushort flags, ushort index, long flagsOffset)
        {
            File = file; Version = version; Flags = flags; Index = index; FlagsOffset = flagsOffset;
        }
        public string File { get; }
        public string Version { get; }
        public ushort Flags { get; }
        /// <summary>The vna_other index that .gnu.version entries use to point at this need.</summary>
        public ushort Index { get; }
        /// <summary>Byte offset of vna_flags in the file.</summary>
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & ElfVersionPatch.VerFlgWeak) != 0;
    }

    public enum ElfPatchOutcome
    {
        /// <summary>The need was marked weak and the file rewritten.</summary>
        Patched,
        /// <summary>The need was already weak: nothing written.</summary>
        AlreadyWeak,
        /// <summary>The library does not need that version: nothing written.</summary>
        NotNeeded,
        /// <summary>The host provides the version: nothing written.</summary>
        HostProvides,
    }

    public static class ElfVersionPatch
    {
        public const ushort VerFlgWeak = 0x2;
        public const string TorchSharpVersion = "GLIBCXX_3.4.32";

        /// <summary>The symbols we know may sit under <see cref="TorchSharpVersion"/> without being
        /// called. If the library references anything else under that version, patching would
        /// trade a clear load error for a crash later, so we refuse.</summary>
        public static readonly string[] NeverCalledSymbols = { "_ZSt21ios_base_library_initv" };

        const uint ShtDynsym = 11;
        const uint ShtGnuVerdef = 0x6ffffffd;
        const uint ShtGnuVerneed = 0x6ffffffe;
        const uint ShtGnuVersym = 0x6fffffff;

        sealed class Section
        {
            public uint Type; public long Offset; public long Size; public uint Link; public uint Info; public long EntSize;
        }

        static Section[] ReadSections(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file (bad magic)");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > elf.Length)
                throw new InvalidDataException("ELF section header table lies outside the file");
            var sections = new Section[shnum];
            for (int i = 0; i < shnum; i++)
            {
                int p = checked((int)(shoff + (long)i * shentsize));
                var s = new Section
                {
                    Type = BitConverter.ToUInt32(elf, p + 4),
                    Offset = (long)BitConverter.ToUInt64(elf, p + 24),
                    Size = (long)BitConverter.ToUInt64(elf, p + 32),
                    Link = BitConverter.ToUInt32(elf, p + 40),
                    Info = BitConverter.ToUInt32(elf, p + 44),
                    EntSize = (long)BitConverter.ToUInt64(elf, p + 56),
                };
                if (s.Type != 8 /* SHT_NOBITS */ && s.Offset + s.Size > elf.Length)
                    throw new InvalidDataException("ELF section " + i + " lies outside the file (truncated?)");
                sections[i] = s;
            }
            return sections;
        }

        static string ReadString(byte[] elf, Section strtab, uint offset)
        {
            long start = strtab.Offset + offset;
            if (offset >= strtab.Size) throw new InvalidDataException("ELF string offset outside its table");
            long end = start;
            while (end < strtab.Offset + strtab.Size && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        /// <summary>Every version need (.gnu.version_r) of the library.</summary>
        public static List<ElfVersionNeed> ReadVersionNeeds(byte[] elf)
        {
            var sections = ReadSections(elf);
            var result = new List<ElfVersionNeed>();
            foreach (var sec in sections)
            {
                if (sec.Type != ShtGnuVerneed) continue;
                var strtab = sections[sec.Link];
                long p = sec.Offset;
                for (uint i = 0; i < sec.Info; i++)
                {
                    ushort count = BitConverter.ToUInt16(elf, (int)p + 2);
                    string file = ReadString(elf, strtab, BitConverter.ToUInt32(elf, (int)p + 4));
                    long aux = p + BitConverter.ToUInt32(elf, (int)p + 8);
                    for (int j = 0; j < count; j++)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        ushort other = BitConverter.ToUInt16(elf, (int)aux + 6);
                        string name = ReadString(elf, strtab, BitConverter.ToUInt32(elf, (int)aux + 8));
                        result.Add(new ElfVersionNeed(file, name, flags, other, aux + 4));
                        uint nextAux = BitConverter.ToUInt32(elf, (int)aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = BitConverter.ToUInt32(elf, (int)p + 12);
                    if (next == 0) break;
                    p += next;
                }
            }
            return result;
        }

        /// <summary>Every version a library defines (.gnu.version_d), e.g. GLIBCXX_3.4.30 for libstdc++.</summary>
        public static List<string> ReadVersionDefinitions(byte[] elf)
        {
            var sections = ReadSections(elf);
            var result = new List<string>();
            foreach (var sec in sections)
            {
                if (sec.Type != ShtGnuVerdef) continue;
                var strtab = sections[sec.Link];
                long p = sec.Offset;
                for (uint i = 0; i < sec.Info; i++)
                {
                    ushort count = BitConverter.ToUInt16(elf, (int)p + 6);
                    long aux = p + BitConverter.ToUInt32(elf, (int)p + 12);
                    if (count > 0) result.Add(ReadString(elf, strtab, BitConverter.ToUInt32(elf, (int)aux)));
                    uint next = BitConverter.ToUInt32(elf, (int)p + 16);
                    if (next == 0) break;
                    p += next;
                }
            }
            return result;
        }

        /// <summary>Names of the dynamic symbols bound to the version need with index <paramref name="versionIndex"/>.</summary>
        public static List<string> SymbolsUnderVersion(byte[] elf, ushort versionIndex)
        {
            var sections = ReadSections(elf);
            Section? dynsym = null, versym = null;
            foreach (var s in sections)
            {
                if (s.Type == ShtDynsym) dynsym = s;
                else if (s.Type == ShtGnuVersym) versym = s;
            }
            var result = new List<string>();
            if (dynsym == null || versym == null) return result;
            var strtab = sections[dynsym.Link];
            long count = dynsym.Size / 24;
            for (long i = 0; i < count; i++)
            {
                ushort v = (ushort)(BitConverter.ToUInt16(elf, (int)(versym.Offset + 2 * i)) & 0x7fff);
                if (v != versionIndex) continue;
                uint nameOffset = BitConverter.ToUInt32(elf, (int)(dynsym.Offset + 24 * i));
                result.Add(ReadString(elf, strtab, nameOffset));
            }
            return result;
        }

        /// <summary>The host's libstdc++ (the first of the usual places that exists), or null.</summary>
        public static string? FindHostLibstdcxx()
        {
            string[] candidates =
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6",
                "/lib64/libstdc++.so.6",
                "/usr/lib/libstdc++.so.6",
            };
            foreach (var c in candidates)
                if (System.IO.File.Exists(c)) return c;
            return null;
        }

        /// <summary>
        /// Marks the need for <paramref name="version"/> in <paramref name="libraryPath"/> weak, unless the
        /// host library at <paramref name="hostLibraryPath"/> defines it (a null host path means "unknown":
        /// patch). Idempotent; writes atomically (temp file, then rename) and keeps the file's timestamp
        /// so that MSBuild's incremental copy sees the file as up to date.
        /// </summary>
        public static ElfPatchOutcome MarkWeak(string libraryPath, string version, string? hostLibraryPath)
        {
            var elf = System.IO.File.ReadAllBytes(libraryPath);
            ElfVersionNeed? need = null;
            foreach (var n in ReadVersionNeeds(elf))
                if (n.Version == version) { need = n; break; }
            if (need == null) return ElfPatchOutcome.NotNeeded;
            if (hostLibraryPath != null && ReadVersionDefinitions(System.IO.File.ReadAllBytes(hostLibraryPath)).Contains(version))
                return ElfPatchOutcome.HostProvides;
            if (need.IsWeak) return ElfPatchOutcome.AlreadyWeak;

            foreach (var symbol in SymbolsUnderVersion(elf, need.Index))
                if (Array.IndexOf(NeverCalledSymbols, symbol) < 0)
                    throw new InvalidOperationException(
                        Path.GetFileName(libraryPath) + ": symbol " + symbol + " needs " + version +
                        ", which the host's libstdc++ lacks; marking the version weak would not be safe. " +
                        "Install a newer libstdc++ (GCC 13 or later).");

            ushort flags = (ushort)(need.Flags | VerFlgWeak);
            elf[need.FlagsOffset] = (byte)(flags & 0xff);
            elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
            var stamp = System.IO.File.GetLastWriteTimeUtc(libraryPath);
            var temp = libraryPath + ".patching";
            System.IO.File.WriteAllBytes(temp, elf);
            System.IO.File.SetLastWriteTimeUtc(temp, stamp);
            System.IO.File.Replace(temp, libraryPath, null); // rename over the old copy
            return ElfPatchOutcome.Patched;
        }
    }

#if !HYBRIDSPIKE_NO_MSBUILD
    /// <summary>The MSBuild task that TorchNative.targets runs after the copy to the output.</summary>
    public class PatchTorchSharpNative : Task
    {
        [Required]
        public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return true;
            var host = ElfVersionPatch.FindHostLibstdcxx();
            foreach (var item in Libraries)
            {
                var path = item.GetMetadata("FullPath");
                try
                {
                    var outcome = ElfVersionPatch.MarkWeak(path, ElfVersionPatch.TorchSharpVersion, host);
                    Log.LogMessage(outcome == ElfPatchOutcome.Patched ? MessageImportance.High : MessageImportance.Low,
                        "TorchSharp native fix: {0}: {1} ({2})", path, outcome, host ?? "no host libstdc++ found");
                }
                catch (Exception e)
                {
                    Log.LogError("TorchSharp native fix failed for {0}: {1}", path, e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
