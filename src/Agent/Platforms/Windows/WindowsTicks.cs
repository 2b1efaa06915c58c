namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// Arithmetic on Windows' 100-nanosecond tick counters (FILETIME, LARGE_INTEGER times of NtQuerySystemInformation,
/// DISK_PERFORMANCE). Platform-neutral, so it is tested on any OS.
/// </summary>
internal static class WindowsTicks
{
    /// <summary>100-ns ticks in one second.</summary>
    public const double PerSecond = 10_000_000;

    /// <summary>Ticks between 1601-01-01 (the FILETIME epoch) and 1970-01-01 (the Unix epoch).</summary>
    public const long UnixEpochFileTime = 116_444_736_000_000_000;

    /// <summary>Seconds in <paramref name="ticks"/>.</summary>
    public static double ToSeconds(ulong ticks) => ticks / PerSecond;

    /// <summary>
    /// CPU time used over a window as % of ONE core (like top; can exceed 100): <paramref name="deltaTicks"/> of
    /// CPU time over <paramref name="elapsedSeconds"/> of wall time. 0 without a window.
    /// </summary>
    public static double CpuPercentOfOneCore(ulong deltaTicks, double elapsedSeconds) =>
        elapsedSeconds > 0 ? deltaTicks / PerSecond / elapsedSeconds * 100 : 0;

    /// <summary>A FILETIME (ticks since 1601, UTC) as seconds since the Unix epoch; 0 for times before 1970.</summary>
    public static long FileTimeToUnixSeconds(long fileTime) =>
        fileTime > UnixEpochFileTime ? (fileTime - UnixEpochFileTime) / 10_000_000 : 0;
}
