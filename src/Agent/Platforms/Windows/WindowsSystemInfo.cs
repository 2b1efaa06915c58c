using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>The static facts about a Windows host that go into <see cref="Hello"/>.</summary>
[SupportedOSPlatform("windows")]
internal static unsafe class WindowsSystemInfo
{
    private const string CurrentVersionKey = @"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    private const string ProcessorKey = @"HARDWARE\DESCRIPTION\System\CentralProcessor\0";

    /// <summary>
    /// Hostname, OS name and release (registry ProductName / DisplayVersion, corrected for Windows 11), kernel
    /// version with build and revision (RtlGetVersion, which unlike GetVersionEx ignores compatibility shims),
    /// CPU model (ProcessorNameString), logical and physical cores, physical memory and boot time.
    /// </summary>
    public static Hello ReadHello(string machineId, int sampleIntervalMs)
    {
        var version = new WindowsNative.OsVersionInfo { OsVersionInfoSize = (uint)sizeof(WindowsNative.OsVersionInfo) };
        var haveVersion = WindowsNative.RtlGetVersion(ref version) == WindowsNative.StatusSuccess;
        var build = haveVersion ? (int)version.BuildNumber : Environment.OSVersion.Version.Build;

        var productName = ReadLocalMachine(CurrentVersionKey, "ProductName") as string;
        // DisplayVersion ("23H2") since 20H2; ReleaseId ("2004") before.
        var displayVersion = ReadLocalMachine(CurrentVersionKey, "DisplayVersion") as string
            ?? ReadLocalMachine(CurrentVersionKey, "ReleaseId") as string;
        var revision = ReadLocalMachine(CurrentVersionKey, "UBR") is int ubr ? ubr : 0;
        var cpuModel = ProcFile.Truncate(
            (ReadLocalMachine(ProcessorKey, "ProcessorNameString") as string)?.Trim() ?? string.Empty, 256);

        var memory = new WindowsNative.MemoryStatusEx { Length = (uint)sizeof(WindowsNative.MemoryStatusEx) };
        var totalMemory = WindowsNative.GlobalMemoryStatusEx(ref memory) ? memory.TotalPhys : 0;
        var logicalCores = WindowsNative.GetActiveProcessorCount(WindowsNative.AllProcessorGroups);
        var uptimeMs = WindowsNative.GetTickCount64();

        return new Hello
        {
            ProtocolVersion = SystemInfo.ProtocolVersion,
            ProtocolMinor = SysMon.Protocol.ProtocolVersion.Minor,
            MachineId = machineId,
            Hostname = Environment.MachineName,
            OsName = WindowsHostFacts.ProductName(productName, build),
            OsVersion = WindowsHostFacts.OsVersion(displayVersion, build, revision),
            KernelVersion = haveVersion
                ? WindowsHostFacts.KernelVersion((int)version.MajorVersion, (int)version.MinorVersion, build, revision)
                : WindowsHostFacts.KernelVersion(10, 0, build, revision),
            Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            CpuModel = cpuModel,
            LogicalCores = logicalCores > 0 ? logicalCores : (uint)Environment.ProcessorCount,
            PhysicalCores = CountPhysicalCores(),
            MemoryTotalBytes = totalMemory,
            AgentVersion = SystemInfo.AgentVersion,
            BootTimeUnixSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - (long)(uptimeMs / 1000),
            SampleIntervalMs = (uint)sampleIntervalMs,
        };
    }

    /// <summary>The registry's MachineGuid (set at install, unique per Windows installation); null when unreadable.</summary>
    public static string? ReadMachineGuid() => ReadLocalMachine(@"SOFTWARE\Microsoft\Cryptography", "MachineGuid") as string;

    /// <summary>
    /// A value under HKLM, read in the 64-bit view (a 32-bit process would otherwise be redirected to
    /// WOW6432Node, which has no MachineGuid); null when the key or value is missing or unreadable.
    /// </summary>
    private static object? ReadLocalMachine(string keyPath, string valueName)
    {
        try
        {
            using var root = RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry64);
            using var key = root.OpenSubKey(keyPath);
            return key?.GetValue(valueName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return null;
        }
    }

    private static uint CountPhysicalCores()
    {
        uint length = 0;
        WindowsNative.GetLogicalProcessorInformationEx(WindowsNative.RelationProcessorCore, null, ref length);
        if (length == 0)
        {
            return 0;
        }

        var buffer = new byte[length];
        fixed (byte* pointer = buffer)
        {
            return WindowsNative.GetLogicalProcessorInformationEx(WindowsNative.RelationProcessorCore, pointer, ref length)
                ? WindowsHostFacts.CountProcessorCores(buffer.AsSpan(0, (int)Math.Min(length, (uint)buffer.Length)))
                : 0;
        }
    }
}
