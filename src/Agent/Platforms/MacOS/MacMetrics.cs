using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>Scheduler ticks of one processor (or their sum) from PROCESSOR_CPU_LOAD_INFO.</summary>
internal readonly record struct MacCpuTicks(ulong User, ulong System, ulong Idle, ulong Nice);

/// <summary>mach_timebase_info: Mach absolute time × Numer / Denom = nanoseconds.</summary>
internal readonly record struct MachTimebase(uint Numer, uint Denom)
{
    /// <summary>Intel Macs count nanoseconds.</summary>
    public static MachTimebase Nanoseconds { get; } = new(1, 1);
}

/// <summary>The arithmetic of the macOS collectors: percentages, rates, unit conversions, what to report.</summary>
internal static class MacMetrics
{
    // <sys/mount.h> f_flags bits.
    internal const uint MntRdOnly = 0x00000001;
    internal const uint MntLocal = 0x00001000;
    internal const uint MntRootFs = 0x00004000;
    internal const uint MntDontBrowse = 0x00100000;
    internal const uint MntSnapshot = 0x40000000;

    // <sys/proc.h> p_stat values as pbi_status carries them.
    internal const uint StatusIdle = 1;     // SIDL: being created by fork
    internal const uint StatusRunning = 2;  // SRUN
    internal const uint StatusSleeping = 3; // SSLEEP
    internal const uint StatusStopped = 4;  // SSTOP
    internal const uint StatusZombie = 5;   // SZOMB

    // Filesystems that hold no user data even when the kernel calls them local: the device tree, automounter
    // triggers, and loopback/bind-style mounts that would count another volume twice.
    private static readonly HashSet<string> s_excludedTypes = new(StringComparer.Ordinal)
    {
        "devfs", "autofs", "nullfs", "bindfs", "fdesc", "volfs", "mtmfs",
    };

    /// <summary>
    /// Splits CPU ticks between two readings into percentages like the Linux collector does (user includes nice);
    /// a counter that went backwards (the 32-bit tick counters wrap) counts as 0.
    /// </summary>
    public static CpuPercentages ComputePercentages(in MacCpuTicks previous, in MacCpuTicks current)
    {
        double user = Counter.Delta(previous.User, current.User) + Counter.Delta(previous.Nice, current.Nice);
        double system = Counter.Delta(previous.System, current.System);
        double idle = Counter.Delta(previous.Idle, current.Idle);
        var total = user + system + idle;
        if (total <= 0)
        {
            return default;
        }

        var scale = 100.0 / total;
        return new CpuPercentages(
            Busy: Math.Min(100, (user + system) * scale),
            User: user * scale,
            System: system * scale,
            IoWait: 0,
            Steal: 0,
            Idle: idle * scale);
    }

    /// <summary>
    /// Mach absolute time units as seconds. On Intel a unit is 1 ns; on Apple silicon it is 125/3 ns (24 MHz), so
    /// reading task times as nanoseconds would under-report CPU use about 42-fold.
    /// </summary>
    public static double MachTimeToSeconds(ulong machUnits, in MachTimebase timebase) =>
        timebase.Denom == 0 ? 0 : (double)machUnits * timebase.Numer / timebase.Denom / 1e9;

    /// <summary>CPU use of a process over the window, in % of one core (like top; can exceed 100).</summary>
    public static double ProcessCpuPercent(ulong deltaMachUnits, in MachTimebase timebase, double elapsedSeconds) =>
        elapsedSeconds > 0 ? MachTimeToSeconds(deltaMachUnits, timebase) / elapsedSeconds * 100 : 0;

    /// <summary>
    /// Maps the VM counters to the wire's fields the way Activity Monitor's Memory tab adds them up:
    /// used = app memory (internal − purgeable) + wired + compressed ("Memory Used");
    /// cached = file-backed (external) + purgeable ("Cached Files"), which the kernel drops before swapping;
    /// free = free − speculative (what vm_stat calls "Pages free": the kernel's free_count includes speculative);
    /// available = total − used, i.e. free + speculative + cached files; buffers has no macOS counterpart (0).
    /// </summary>
    public static MemorySample ToMemorySample(ulong totalBytes, in VmStatistics64 vm, ulong pageSizeBytes, in XswUsage swap)
    {
        ulong Bytes(ulong pages) => pages * pageSizeBytes;

        var appPages = Counter.Delta(vm.PurgeablePages, vm.InternalPages);
        var used = Math.Min(totalBytes, Bytes(appPages + vm.WiredPages + vm.CompressorPages));
        return new MemorySample
        {
            TotalBytes = totalBytes,
            UsedBytes = used,
            AvailableBytes = totalBytes - used,
            FreeBytes = Bytes(Counter.Delta(vm.SpeculativePages, vm.FreePages)),
            BuffersBytes = 0,
            CachedBytes = Bytes((ulong)vm.ExternalPages + vm.PurgeablePages),
            SwapTotalBytes = swap.TotalBytes,
            SwapUsedBytes = swap.UsedBytes,
        };
    }

    /// <summary>
    /// Whether a mounted filesystem is reported. Local only (getfsstat's MNT_NOWAIT never waits on a server, but a
    /// network share's size is not this host's). "/" is reported even when it is the sealed read-only system snapshot
    /// (macOS 10.15+): APFS volumes share their container's space, so its total − available is the whole disk's use,
    /// what Finder shows for "Macintosh HD". The Data, VM, Preboot and Update volumes beside it are MNT_DONTBROWSE
    /// and would repeat the same numbers, so they are skipped, as are other read-only mounts and snapshots (disk
    /// images, Time Machine's local snapshots), which cannot fill up.
    /// </summary>
    public static bool IsReportedFilesystem(in MacStatfs fs)
    {
        if ((fs.Flags & MntLocal) == 0 || s_excludedTypes.Contains(fs.FsType) || !fs.MountPoint.StartsWith('/'))
        {
            return false;
        }

        if ((fs.Flags & MntRootFs) != 0 || fs.MountPoint == "/")
        {
            return true;
        }

        return (fs.Flags & (MntDontBrowse | MntRdOnly | MntSnapshot)) == 0;
    }

    /// <summary>pbi_status as the one-letter state of ps and /proc/PID/stat ("I" for SIDL, as psutil maps it).</summary>
    public static string StateLetter(uint status) => status switch
    {
        StatusIdle => "I",
        StatusRunning => "R",
        StatusSleeping => "S",
        StatusStopped => "T",
        StatusZombie => "Z",
        _ => "?",
    };
}
