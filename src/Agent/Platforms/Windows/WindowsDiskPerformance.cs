using System.Buffers.Binary;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>The DISK_PERFORMANCE fields the agent uses. Times are 100-ns ticks; counts are since boot.</summary>
internal readonly record struct DiskPerformance(
    ulong BytesRead, ulong BytesWritten, ulong IdleTicks, uint ReadCount, uint WriteCount, ulong QueryTicks);

/// <summary>
/// Parsing of the DISK_PERFORMANCE that IOCTL_DISK_PERFORMANCE returns, and the rates computed from two of them.
/// Platform-neutral: the tests build the structure by hand.
/// </summary>
internal static class WindowsDiskPerformance
{
    // DISK_PERFORMANCE (winioctl.h), 88 bytes:
    //   LARGE_INTEGER BytesRead @0, BytesWritten @8, ReadTime @16, WriteTime @24, IdleTime @32
    //   DWORD ReadCount @40, WriteCount @44, QueueDepth @48, SplitCount @52
    //   LARGE_INTEGER QueryTime @56 (the clock IdleTime is measured against)
    //   DWORD StorageDeviceNumber @64, WCHAR StorageManagerName[8] @68, padding to 88
    internal const int Size = 88;
    internal const int BytesReadOffset = 0;
    internal const int BytesWrittenOffset = 8;
    internal const int IdleTimeOffset = 32;
    internal const int ReadCountOffset = 40;
    internal const int WriteCountOffset = 44;
    internal const int QueryTimeOffset = 56;

    /// <summary>Reads a DISK_PERFORMANCE; null when the buffer is shorter than one.</summary>
    public static DiskPerformance? Parse(ReadOnlySpan<byte> buffer) =>
        buffer.Length < Size
            ? null
            : new DiskPerformance(
                BytesRead: ReadUnsigned(buffer, BytesReadOffset),
                BytesWritten: ReadUnsigned(buffer, BytesWrittenOffset),
                IdleTicks: ReadUnsigned(buffer, IdleTimeOffset),
                ReadCount: BinaryPrimitives.ReadUInt32LittleEndian(buffer[ReadCountOffset..]),
                WriteCount: BinaryPrimitives.ReadUInt32LittleEndian(buffer[WriteCountOffset..]),
                QueryTicks: ReadUnsigned(buffer, QueryTimeOffset));

    /// <summary>
    /// Rates between two readings of one disk. Busy % is the share of the window the disk was not idle, measured
    /// on the driver's own clock (QueryTime) when it moved, else on <paramref name="elapsedSeconds"/>.
    /// Counters that went backwards (a 32-bit count wrapping, a disk re-plugged) give 0.
    /// </summary>
    public static DiskIoSample ComputeRates(string device, in DiskPerformance previous, in DiskPerformance current, double elapsedSeconds)
    {
        var windowTicks = (double)Counter.Delta(previous.QueryTicks, current.QueryTicks);
        if (windowTicks <= 0)
        {
            windowTicks = elapsedSeconds * WindowsTicks.PerSecond;
        }

        var idleTicks = (double)Counter.Delta(previous.IdleTicks, current.IdleTicks);
        // Idle time that went backwards is a reset disk, not a fully busy one.
        var idleReset = current.IdleTicks < previous.IdleTicks;
        return new DiskIoSample
        {
            Device = device,
            ReadBytesPerSecond = Counter.Rate(previous.BytesRead, current.BytesRead, elapsedSeconds),
            WriteBytesPerSecond = Counter.Rate(previous.BytesWritten, current.BytesWritten, elapsedSeconds),
            ReadsPerSecond = Counter.Rate(previous.ReadCount, current.ReadCount, elapsedSeconds),
            WritesPerSecond = Counter.Rate(previous.WriteCount, current.WriteCount, elapsedSeconds),
            BusyPercent = windowTicks > 0 && elapsedSeconds > 0 && !idleReset ? Math.Clamp(100 - (idleTicks / windowTicks * 100), 0, 100) : 0,
        };
    }

    // LARGE_INTEGER is signed; a negative count is nonsense and reads as 0.
    private static ulong ReadUnsigned(ReadOnlySpan<byte> buffer, int offset) =>
        (ulong)Math.Max(0, BinaryPrimitives.ReadInt64LittleEndian(buffer[offset..]));
}
