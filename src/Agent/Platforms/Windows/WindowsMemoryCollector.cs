using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// Physical memory and page file from GlobalMemoryStatusEx, the system cache from GetPerformanceInfo
/// (SystemCache × PageSize). How they map onto the wire fields is in <see cref="WindowsMemoryMath.ToSample"/>.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class WindowsMemoryCollector : IMetricCollector
{
    /// <inheritdoc />
    public string Name => "memory";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var status = new WindowsNative.MemoryStatusEx { Length = (uint)sizeof(WindowsNative.MemoryStatusEx) };
        if (!WindowsNative.GlobalMemoryStatusEx(ref status))
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "GlobalMemoryStatusEx failed.");
        }

        var performance = new WindowsNative.PerformanceInformation
        {
            Size = (uint)sizeof(WindowsNative.PerformanceInformation),
        };
        // The cache is a detail; without it the rest of the reading still stands.
        var cacheBytes = WindowsNative.GetPerformanceInfo(ref performance, performance.Size)
            ? (ulong)performance.SystemCache * performance.PageSize
            : 0;

        sample.Memory = WindowsMemoryMath.ToSample(new WindowsMemoryStatus(
            TotalPhysical: status.TotalPhys,
            AvailablePhysical: status.AvailPhys,
            CommitLimit: status.TotalPageFile,
            CommitAvailable: status.AvailPageFile,
            SystemCache: cacheBytes));
    }
}
