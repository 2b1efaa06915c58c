using System.Buffers.Binary;
using SysMon.Agent.Collectors;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// One processor's times from SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION, in 100-ns ticks since boot.
/// <see cref="KernelTicks"/> INCLUDES <see cref="IdleTicks"/>: the idle thread runs in kernel mode.
/// </summary>
internal readonly record struct ProcessorTimes(ulong IdleTicks, ulong KernelTicks, ulong UserTicks)
{
    /// <summary>Adds two processors' times (the machine total is the sum over cores).</summary>
    public static ProcessorTimes operator +(ProcessorTimes a, ProcessorTimes b) =>
        new(a.IdleTicks + b.IdleTicks, a.KernelTicks + b.KernelTicks, a.UserTicks + b.UserTicks);
}

/// <summary>
/// Parsing of NtQuerySystemInformation(SystemProcessorPerformanceInformation) and
/// CallNtPowerInformation(ProcessorInformation) buffers, and the percentages computed from them.
/// Platform-neutral: the buffers are plain bytes, so the tests build them by hand on any OS.
/// </summary>
internal static class WindowsCpuTimes
{
    // SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION (winternl.h; DpcTime, InterruptTime and InterruptCount are the
    // "Reserved" fields there, named in ntexapi.h). Same layout on x86, x64 and arm64:
    //   LARGE_INTEGER IdleTime       @0
    //   LARGE_INTEGER KernelTime     @8
    //   LARGE_INTEGER UserTime       @16
    //   LARGE_INTEGER DpcTime        @24
    //   LARGE_INTEGER InterruptTime  @32
    //   ULONG         InterruptCount @40, padded to 48
    internal const int ProcessorPerformanceSize = 48;
    internal const int IdleTimeOffset = 0;
    internal const int KernelTimeOffset = 8;
    internal const int UserTimeOffset = 16;

    // PROCESSOR_POWER_INFORMATION (MSDN, "PROCESSOR_POWER_INFORMATION structure"), six ULONGs:
    //   Number @0, MaxMhz @4, CurrentMhz @8, MhzLimit @12, MaxIdleState @16, CurrentIdleState @20
    internal const int PowerInformationSize = 24;
    internal const int PowerNumberOffset = 0;
    internal const int PowerCurrentMhzOffset = 8;

    /// <summary>
    /// Reads the per-processor records of a SystemProcessorPerformanceInformation buffer into
    /// <paramref name="cores"/> (cleared first), in processor order. A trailing partial record is ignored.
    /// </summary>
    public static void ParseProcessorPerformance(ReadOnlySpan<byte> buffer, List<ProcessorTimes> cores)
    {
        cores.Clear();
        for (var offset = 0; offset + ProcessorPerformanceSize <= buffer.Length; offset += ProcessorPerformanceSize)
        {
            var record = buffer.Slice(offset, ProcessorPerformanceSize);
            cores.Add(new ProcessorTimes(
                IdleTicks: ReadTicks(record, IdleTimeOffset),
                KernelTicks: ReadTicks(record, KernelTimeOffset),
                UserTicks: ReadTicks(record, UserTimeOffset)));
        }
    }

    /// <summary>
    /// Splits the CPU time between two readings into percentages: system is kernel minus idle, and Windows has
    /// no iowait or steal, so those stay 0. Counters that went backwards count as 0.
    /// </summary>
    /// <remarks>
    /// Whether DpcTime and InterruptTime lie inside KernelTime is undocumented; they are not added (psutil does
    /// the same), so the shares always sum to 100.
    /// </remarks>
    public static CpuPercentages ComputePercentages(in ProcessorTimes previous, in ProcessorTimes current)
    {
        double idle = Counter.Delta(previous.IdleTicks, current.IdleTicks);
        double kernel = Counter.Delta(previous.KernelTicks, current.KernelTicks);
        double user = Counter.Delta(previous.UserTicks, current.UserTicks);
        var total = kernel + user;
        if (total <= 0)
        {
            return default;
        }

        // Idle is sampled separately from kernel time and can run a tick ahead of it.
        var system = Math.Max(0, kernel - idle);
        idle = Math.Min(idle, kernel);
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
    /// Reads CurrentMhz of each PROCESSOR_POWER_INFORMATION record into <paramref name="mhz"/> (cleared first),
    /// indexed by the record's processor Number; records whose Number is out of range are ignored.
    /// </summary>
    public static void ParsePowerInformation(ReadOnlySpan<byte> buffer, int processorCount, List<double> mhz)
    {
        mhz.Clear();
        var count = Math.Min(processorCount, buffer.Length / PowerInformationSize);
        for (var i = 0; i < count; i++)
        {
            mhz.Add(0);
        }

        for (var i = 0; i < count; i++)
        {
            var record = buffer.Slice(i * PowerInformationSize, PowerInformationSize);
            var number = BinaryPrimitives.ReadUInt32LittleEndian(record[PowerNumberOffset..]);
            if (number < (uint)count)
            {
                mhz[(int)number] = BinaryPrimitives.ReadUInt32LittleEndian(record[PowerCurrentMhzOffset..]);
            }
        }
    }

    // LARGE_INTEGER is signed; a negative time is nonsense and reads as 0.
    private static ulong ReadTicks(ReadOnlySpan<byte> record, int offset) =>
        (ulong)Math.Max(0, BinaryPrimitives.ReadInt64LittleEndian(record[offset..]));
}
