using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// The Win32 and native NT calls the Windows collectors make. Source-generated P/Invoke only (NativeAOT).
/// </summary>
/// <remarks>
/// kernel32, ntdll and advapi32 are KnownDLLs, always loaded from System32. iphlpapi and powrprof are not, so
/// their imports are pinned to System32: a DLL of that name planted next to the agent is never loaded.
/// </remarks>
[SupportedOSPlatform("windows")]
internal static unsafe partial class WindowsNative
{
    private const string Kernel32 = "kernel32.dll";
    private const string NtDll = "ntdll.dll";
    private const string Advapi32 = "advapi32.dll";
    private const string IpHlpApi = "iphlpapi.dll";
    private const string PowrProf = "powrprof.dll";

    // NtQuerySystemInformation classes (ntexapi.h).
    public const int SystemProcessorPerformanceInformation = 8;
    public const int SystemProcessInformation = 5;

    // NtQueryInformationProcess class: a UNICODE_STRING with the command line (Windows 8.1 and later).
    public const int ProcessCommandLineInformation = 60;

    // CallNtPowerInformation level: PROCESSOR_POWER_INFORMATION per processor.
    public const int ProcessorInformation = 11;

    // NTSTATUS values.
    public const int StatusSuccess = 0;
    public const int StatusInfoLengthMismatch = unchecked((int)0xC0000004);
    public const int StatusBufferTooSmall = unchecked((int)0xC0000023);
    public const int StatusBufferOverflow = unchecked((int)0x80000005);

    // GetActiveProcessorCount: every processor group.
    public const ushort AllProcessorGroups = 0xFFFF;

    // GetDriveTypeW: a fixed disk (not removable, network, optical or RAM disk).
    public const uint DriveFixed = 3;

    // CreateFileW arguments for a query-only handle: no read or write access is needed for IOCTL_DISK_PERFORMANCE
    // (FILE_ANY_ACCESS), so an unprivileged agent can open the disk.
    public const uint FileShareRead = 0x1;
    public const uint FileShareWrite = 0x2;
    public const uint OpenExisting = 3;

    // CTL_CODE(IOCTL_DISK_BASE = 7, 0x0008, METHOD_BUFFERED, FILE_ANY_ACCESS) (winioctl.h).
    public const uint IoctlDiskPerformance = 0x00070020;

    // OpenProcess right that even protected processes grant, and the token right GetTokenInformation needs.
    public const uint ProcessQueryLimitedInformation = 0x1000;
    public const uint TokenQuery = 0x0008;

    // TOKEN_INFORMATION_CLASS TokenUser: a TOKEN_USER, whose first field is a pointer to the owner's SID.
    public const int TokenUser = 1;

    // LOGICAL_PROCESSOR_RELATIONSHIP RelationProcessorCore.
    public const int RelationProcessorCore = 0;

    [LibraryImport(Kernel32)]
    public static partial ulong GetTickCount64();

    [LibraryImport(Kernel32)]
    public static partial uint GetActiveProcessorCount(ushort groupNumber);

    [LibraryImport(Kernel32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GlobalMemoryStatusEx(ref MemoryStatusEx buffer);

    // GetPerformanceInfo lives in kernel32 as K32GetPerformanceInfo since Windows 7; psapi.dll only forwards to it.
    [LibraryImport(Kernel32, EntryPoint = "K32GetPerformanceInfo", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetPerformanceInfo(ref PerformanceInformation information, uint size);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial uint GetLogicalDriveStringsW(uint bufferLength, char* buffer);

    [LibraryImport(Kernel32, StringMarshalling = StringMarshalling.Utf16)]
    public static partial uint GetDriveTypeW(string rootPathName);

    [LibraryImport(Kernel32, SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetDiskFreeSpaceExW(
        string directoryName, out ulong freeBytesAvailableToCaller, out ulong totalNumberOfBytes, out ulong totalNumberOfFreeBytes);

    [LibraryImport(Kernel32, SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetVolumeInformationW(
        string rootPathName, char* volumeNameBuffer, uint volumeNameSize, out uint volumeSerialNumber,
        out uint maximumComponentLength, out uint fileSystemFlags, char* fileSystemNameBuffer, uint fileSystemNameSize);

    [LibraryImport(Kernel32, SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetVolumeNameForVolumeMountPointW(string volumeMountPoint, char* volumeName, uint bufferLength);

    [LibraryImport(Kernel32, SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    public static partial SafeFileHandle CreateFileW(
        string fileName, uint desiredAccess, uint shareMode, nint securityAttributes, uint creationDisposition,
        uint flagsAndAttributes, nint templateFile);

    [LibraryImport(Kernel32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool DeviceIoControl(
        SafeFileHandle device, uint ioControlCode, void* inBuffer, uint inBufferSize, void* outBuffer,
        uint outBufferSize, out uint bytesReturned, nint overlapped);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial nint OpenProcess(uint desiredAccess, [MarshalAs(UnmanagedType.Bool)] bool inheritHandle, uint processId);

    [LibraryImport(Kernel32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool CloseHandle(nint handle);

    [LibraryImport(Kernel32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetLogicalProcessorInformationEx(int relationshipType, void* buffer, ref uint returnedLength);

    [LibraryImport(NtDll)]
    public static partial int NtQuerySystemInformation(int systemInformationClass, void* systemInformation, uint length, out uint returnLength);

    [LibraryImport(NtDll)]
    public static partial int NtQueryInformationProcess(
        nint processHandle, int processInformationClass, void* processInformation, uint length, out uint returnLength);

    [LibraryImport(NtDll)]
    public static partial int RtlGetVersion(ref OsVersionInfo versionInformation);

    [LibraryImport(PowrProf)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    public static partial int CallNtPowerInformation(int informationLevel, void* inputBuffer, uint inputBufferLength, void* outputBuffer, uint outputBufferLength);

    [LibraryImport(Advapi32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool OpenProcessToken(nint processHandle, uint desiredAccess, out nint tokenHandle);

    [LibraryImport(Advapi32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetTokenInformation(nint tokenHandle, int tokenInformationClass, void* tokenInformation, uint length, out uint returnLength);

    [LibraryImport(Advapi32, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool LookupAccountSidW(
        char* systemName, void* sid, char* name, ref uint nameLength, char* referencedDomainName,
        ref uint referencedDomainNameLength, out int use);

    [LibraryImport(IpHlpApi)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    public static partial uint GetIfTable2(out nint table);

    [LibraryImport(IpHlpApi)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    public static partial void FreeMibTable(nint memory);

    /// <summary>An IOException naming the NT call and its NTSTATUS, for the sampler to report the collector as failed.</summary>
    public static IOException NtFailure(string call, int status) =>
        new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{call} failed with NTSTATUS 0x{status:X8}."));

    /// <summary>MEMORYSTATUSEX (sysinfoapi.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MemoryStatusEx
    {
        public uint Length;
        public uint MemoryLoad;
        public ulong TotalPhys;
        public ulong AvailPhys;
        public ulong TotalPageFile;
        public ulong AvailPageFile;
        public ulong TotalVirtual;
        public ulong AvailVirtual;
        public ulong AvailExtendedVirtual;
    }

    /// <summary>PERFORMANCE_INFORMATION (psapi.h); the sizes are in pages of <see cref="PageSize"/> bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PerformanceInformation
    {
        public uint Size;
        public nuint CommitTotal;
        public nuint CommitLimit;
        public nuint CommitPeak;
        public nuint PhysicalTotal;
        public nuint PhysicalAvailable;
        public nuint SystemCache;
        public nuint KernelTotal;
        public nuint KernelPaged;
        public nuint KernelNonpaged;
        public nuint PageSize;
        public uint HandleCount;
        public uint ProcessCount;
        public uint ThreadCount;
    }

    /// <summary>RTL_OSVERSIONINFOW (wdm.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OsVersionInfo
    {
        public uint OsVersionInfoSize;
        public uint MajorVersion;
        public uint MinorVersion;
        public uint BuildNumber;
        public uint PlatformId;
        public fixed char CsdVersion[128];
    }
}
