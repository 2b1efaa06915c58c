using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>The static facts about a Mac that go into <see cref="Hello"/>, from sysctl.</summary>
[SupportedOSPlatform("macos")]
internal static class MacSystemInfo
{
    /// <summary>Reads the host's identity and hardware summary.</summary>
    public static Hello ReadHello(string machineId, int sampleIntervalMs)
    {
        var logical = MacNative.TrySysctlInteger("hw.logicalcpu\0"u8) ?? (ulong)Environment.ProcessorCount;
        return new Hello
        {
            ProtocolVersion = SystemInfo.ProtocolVersion,
            ProtocolMinor = SysMon.Protocol.ProtocolVersion.Minor,
            MachineId = machineId,
            Hostname = MacNative.TrySysctlString("kern.hostname\0"u8) is { Length: > 0 } host ? host : Environment.MachineName,
            OsName = "macOS",
            // kern.osproductversion exists from macOS 10.13.4; older systems leave the version empty.
            OsVersion = MacNative.TrySysctlString("kern.osproductversion\0"u8) ?? string.Empty,
            KernelVersion = MacNative.TrySysctlString("kern.osrelease\0"u8) ?? string.Empty,
            Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            CpuModel = MacNative.TrySysctlString("machdep.cpu.brand_string\0"u8) ?? string.Empty,
            LogicalCores = (uint)Math.Min(logical, uint.MaxValue),
            PhysicalCores = (uint)Math.Min(MacNative.TrySysctlInteger("hw.physicalcpu\0"u8) ?? 0, uint.MaxValue),
            MemoryTotalBytes = MacNative.TrySysctlInteger("hw.memsize\0"u8) ?? 0,
            AgentVersion = SystemInfo.AgentVersion,
            BootTimeUnixSeconds = ReadBootTimeOrZero(),
            SampleIntervalMs = (uint)sampleIntervalMs,
        };
    }

    private static long ReadBootTimeOrZero()
    {
        try
        {
            return (long)MacUptimeCollector.ReadBootTimeSeconds();
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return 0;
        }
    }
}
