using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>
/// Physical memory (hw.memsize; host_statistics64 HOST_VM_INFO64 mapped as Activity Monitor does, see
/// <see cref="MacMetrics.ToMemorySample"/>) and swap (vm.swapusage).
/// </summary>
[SupportedOSPlatform("macos")]
internal sealed class MacMemoryCollector : IMetricCollector
{
    private readonly ulong _totalBytes = MacNative.TrySysctlInteger("hw.memsize\0"u8)
        ?? throw new IOException("sysctl hw.memsize failed.");

    /// <inheritdoc />
    public string Name => "memory";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        Span<byte> vm = stackalloc byte[MacStructs.VmStatistics64Size];
        MacNative.ReadVmStatistics64(vm);

        // No swap file yet reads as zeros, which is the truth.
        Span<byte> swapBytes = stackalloc byte[MacStructs.XswUsageSize];
        var swap = MacNative.TrySysctlByName("vm.swapusage\0"u8, swapBytes) >= MacStructs.XswUsageSize
            ? MacStructs.ParseXswUsage(swapBytes)
            : default;

        sample.Memory = MacMetrics.ToMemorySample(
            _totalBytes, MacStructs.ParseVmStatistics64(vm), MacNative.KernelPageSizeBytes, swap);
    }
}
