namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// Arithmetic on Windows' 100-nanosecond tick counters (FILETIME, LARGE_INTEGER times of NtQuerySystemInformation,
/// DISK_PERFORMANCE). Platform-neutral, so it is tested on any OS.
/// </summary>
internal static class WindowsTicks
{
    /// <summary>100-ns ticks in one second.</summary>
    public const double PerSecond = 10_000_000;

    /// <summary>
    /// CPU time used over a window as % of ONE core (like top; can exceed 100): <paramref name="deltaTicks"/> of
    /// CPU time over <paramref name="elapsedSeconds"/> of wall time. 0 without a window.
    /// </summary>
    public static double CpuPercentOfOneCore(ulong deltaTicks, double elapsedSeconds) =>
        elapsedSeconds > 0 ? deltaTicks / PerSecond / elapsedSeconds * 100 : 0;
}
