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

        string? productName = null, displayVersion = null;
        var revision = 0;
        using (var key = OpenLocalMachine(CurrentVersionKey))
        {
            productName = key?.GetValue("ProductName") as string;
            // DisplayVersion ("23H2") since 20H2; ReleaseId ("2004") before.
            displayVersion = key?.GetValue("DisplayVersion") as string ?? key?.GetValue("ReleaseId") as string;
            revision = key?.GetValue("UBR") is int ubr ? ubr : 0;
        }

        string cpuModel;
        using (var key = OpenLocalMachine(ProcessorKey))
        {
            cpuModel = ProcFile.Truncate((key?.GetValue("ProcessorNameString") as string)?.Trim() ?? string.Empty, 256);
        }

        var memory = new WindowsNative.MemoryStatusEx { Length = (uint)sizeof(WindowsNative.MemoryStatusEx) };
        var totalMemory = WindowsNative.GlobalMemoryStatusEx(ref memory) ? memory.TotalPhys : 0;
        var logicalCores = WindowsNative.GetActiveProcessorCount(WindowsNative.AllProcessorGroups);
        var uptimeMs = WindowsNative.GetTickCount64();

        return new Hello
        {
            ProtocolVersion = SystemInfo.ProtocolVersion,
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
    public static string? ReadMachineGuid()
    {
        using var key = OpenLocalMachine(@"SOFTWARE\Microsoft\Cryptography");
        return key?.GetValue("MachineGuid") as string;
    }

    /// <summary>
    /// A key of HKLM in the 64-bit view (a 32-bit process would otherwise be redirected to WOW6432Node, which has
    /// no MachineGuid); null when it is missing or unreadable.
    /// </summary>
    private static RegistryKey? OpenLocalMachine(string path)
    {
        try
        {
            using var root = RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry64);
            return root.OpenSubKey(path);
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
