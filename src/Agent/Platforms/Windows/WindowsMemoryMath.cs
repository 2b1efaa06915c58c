using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>What GlobalMemoryStatusEx and GetPerformanceInfo say about memory, in bytes.</summary>
/// <param name="TotalPhysical">ullTotalPhys: physical memory the OS can use.</param>
/// <param name="AvailablePhysical">ullAvailPhys: standby (cache) + free + zeroed pages, what Task Manager calls available.</param>
/// <param name="CommitLimit">ullTotalPageFile: physical memory plus every page file.</param>
/// <param name="CommitAvailable">ullAvailPageFile: what can still be committed.</param>
/// <param name="SystemCache">SystemCache × PageSize: the standby list plus the system working set.</param>
internal readonly record struct WindowsMemoryStatus(
    ulong TotalPhysical, ulong AvailablePhysical, ulong CommitLimit, ulong CommitAvailable, ulong SystemCache);

/// <summary>Maps Windows' memory figures onto the wire's Linux-shaped fields. Platform-neutral.</summary>
internal static class WindowsMemoryMath
{
    /// <summary>
    /// used = total − available (Task Manager's "In use"); cached = the system cache; free = available − cached
    /// (saturating); buffers = 0 (Windows has no separate block buffer pool).
    /// Swap is the page file: its size is the commit limit beyond physical memory, and its use is the commit charge
    /// beyond the physical memory in use. Windows counts commit (promised memory), not pages written out, so
    /// this is an upper bound of what sits in the page file, not a measurement of it.
    /// </summary>
    public static MemorySample ToSample(in WindowsMemoryStatus status)
    {
        var total = status.TotalPhysical;
        var available = Math.Min(status.AvailablePhysical, total);
        var usedPhysical = total - available;
        var swapTotal = Saturating(status.CommitLimit, total);
        var commitCharge = Saturating(status.CommitLimit, status.CommitAvailable);
        return new MemorySample
        {
            TotalBytes = total,
            UsedBytes = usedPhysical,
            AvailableBytes = available,
            FreeBytes = Saturating(available, status.SystemCache),
            BuffersBytes = 0,
            CachedBytes = Math.Min(status.SystemCache, total),
            SwapTotalBytes = swapTotal,
            SwapUsedBytes = Math.Min(swapTotal, Saturating(commitCharge, usedPhysical)),
        };
    }

    private static ulong Saturating(ulong minuend, ulong subtrahend) => minuend > subtrahend ? minuend - subtrahend : 0;
}
