using System.Runtime.InteropServices;

namespace SysMon.Agent.Native;

/// <summary>The few libc calls .NET has no managed equivalent for.</summary>
internal static class LibC
{
    // "libc" resolves to libc.so.6 on glibc; the runtime maps the name itself.
    private const string Library = "libc";

    private const int ScClkTck = 2; // _SC_CLK_TCK on Linux (all architectures)

    [DllImport(Library, EntryPoint = "statvfs", SetLastError = true)]
    private static extern int StatVfs([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out StatVfsResult result);

    [DllImport(Library, EntryPoint = "statvfs64", SetLastError = true)]
    private static extern int StatVfs64([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out StatVfsResult result);

    [DllImport(Library, EntryPoint = "sysconf", SetLastError = true)]
    private static extern long SysConf(int name);

    private const int RlimitNoFile = 7; // RLIMIT_NOFILE on Linux x86-64 and arm64

    [DllImport(Library, EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out ResourceLimit limit);

    [DllImport(Library, EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, in ResourceLimit limit);

    /// <summary>
    /// The soft limit on open descriptors (RLIMIT_NOFILE) on Linux; <paramref name="fallback"/> where it cannot
    /// be read.
    /// </summary>
    public static long OpenFileLimit(long fallback = 1024)
    {
        try
        {
            return OperatingSystem.IsLinux() && GetRLimit(RlimitNoFile, out var limit) == 0
                ? (long)Math.Min((ulong)limit.Current, long.MaxValue)
                : fallback;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return fallback;
        }
    }

    /// <summary>
    /// Raises the soft RLIMIT_NOFILE to the hard limit, at most <paramref name="wanted"/>, as the .NET runtime
    /// does for JIT-hosted programs and Go does for every program (NativeAOT does not). The agent keeps a
    /// descriptor per process open, and systemd's default soft limit is 1024. Returns the soft limit after.
    /// </summary>
    public static long RaiseOpenFileLimit(ulong wanted)
    {
        try
        {
            if (!OperatingSystem.IsLinux() || GetRLimit(RlimitNoFile, out var limit) != 0)
            {
                return OpenFileLimit();
            }

            var target = Math.Min(wanted, (ulong)limit.Maximum);
            if (target > limit.Current)
            {
                _ = SetRLimit(RlimitNoFile, new ResourceLimit { Current = (nuint)target, Maximum = limit.Maximum });
            }

            return OpenFileLimit();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return OpenFileLimit();
        }
    }

    /// <summary>Clock ticks per second of /proc/PID/stat times; 100 on every mainstream Linux build.</summary>
    public static long ClockTicksPerSecond { get; } = ReadClockTicks();

    /// <summary>statvfs(3) of a mount point: block size and block counts; null on failure.</summary>
    public static FilesystemUsage? TryStatVfs(string path)
    {
        // 32-bit glibc's plain statvfs has 32-bit block counts; statvfs64 has the layout declared below there,
        // and on 64-bit the two are the same function.
        var rc = IntPtr.Size == 8 ? StatVfs(path, out var result) : StatVfs64(path, out result);
        if (rc != 0)
        {
            return null;
        }

        var fragmentSize = (ulong)result.FragmentSize;
        if (fragmentSize == 0)
        {
            fragmentSize = (ulong)result.BlockSize;
        }

        return new FilesystemUsage(
            TotalBytes: result.Blocks * fragmentSize,
            FreeBytes: result.FreeBlocks * fragmentSize,
            AvailableBytes: result.AvailableBlocks * fragmentSize);
    }

    private static long ReadClockTicks()
    {
        try
        {
            var ticks = SysConf(ScClkTck);
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    // struct rlimit: two rlim_t (unsigned long, so pointer-sized).
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public nuint Current;
        public nuint Maximum;
    }

    // struct statvfs (64-bit glibc/musl) and struct statvfs64 (32-bit glibc) begin alike: two unsigned longs,
    // then 64-bit block counts. Only those are read; the tail is padding so the callee never writes past us.
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsResult
    {
        public nuint BlockSize;
        public nuint FragmentSize;
        public ulong Blocks;
        public ulong FreeBlocks;
        public ulong AvailableBlocks;
        public ulong Files;
        public ulong FreeFiles;
        public ulong AvailableFiles;
        public ulong Padding0;
        public ulong Padding1;
        public ulong Padding2;
        public ulong Padding3;
        public ulong Padding4;
        public ulong Padding5;
        public ulong Padding6;
        public ulong Padding7;
    }
}

/// <summary>Sizes from statvfs, bytes. <c>AvailableBytes</c> excludes blocks reserved for root.</summary>
internal readonly record struct FilesystemUsage(ulong TotalBytes, ulong FreeBytes, ulong AvailableBytes);
