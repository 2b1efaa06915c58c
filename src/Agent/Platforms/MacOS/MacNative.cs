using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using SysMon.Agent.Collectors;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>
/// The Darwin calls the macOS collectors make: sysctl, Mach host statistics and libproc. Structures come back as
/// bytes and are read by <see cref="MacStructs"/>, so every layout decision lives there, testable on any OS.
/// </summary>
[SupportedOSPlatform("macos")]
internal static unsafe partial class MacNative
{
    // Absolute paths, as .NET's own macOS interop uses: dyld finds them in the shared cache without a search.
    private const string LibSystem = "/usr/lib/libSystem.dylib";
    private const string LibProc = "/usr/lib/libproc.dylib";

    private const int KernSuccess = 0;
    private const int NoMemory = 12;         // ENOMEM: the sysctl's data grew between the size query and the read
    private const int ResultTooLarge = 34;   // ERANGE: getpwuid_r's string buffer is too small

    private const int CtlKern = 1;           // <sys/sysctl.h>
    private const int KernArgMax = 8;
    private const int KernProcArgs2 = 49;
    private const int CtlNet = 4;
    private const int PfRoute = 17;          // <sys/socket.h>
    private const int NetRtIfList2 = 6;

    private const int HostVmInfo64 = 4;                 // <mach/host_info.h>
    private const uint HostVmInfo64Count = 38;          // sizeof(vm_statistics64_data_t) / sizeof(integer_t)
    private const int ProcessorCpuLoadInfo = 2;         // <mach/processor_info.h>
    private const int ProcPidTaskAllInfo = 2;           // <sys/proc_info.h>
    private const int ProcPidTBsdInfo = 3;
    private const int ProcPidPathInfoMaxSize = 4096;    // 4 × MAXPATHLEN
    private const int MntNoWait = 2;                    // <sys/mount.h>
    private const int PasswdSize = 72;                  // struct passwd on 64-bit; pw_name (a char *) is at 0

    private static readonly nint s_libSystem = NativeLibrary.Load(LibSystem);

    // mach_host_self() hands out a new send right per call; one per process is enough.
    private static readonly uint s_host = MachHostSelf();

    /// <summary>mach_task_self() is a macro over this exported variable, not a function.</summary>
    public static uint TaskSelf { get; } = *(uint*)NativeLibrary.GetExport(s_libSystem, "mach_task_self_");

    /// <summary>
    /// The kernel's page size, the unit of host_statistics64's counts. vm_kernel_page_size, not vm_page_size: under
    /// Rosetta an x86-64 process sees 4 KiB pages while the arm64 kernel counts 16 KiB ones.
    /// </summary>
    public static ulong KernelPageSizeBytes { get; } = ReadKernelPageSize();

    /// <summary>The unit of proc_taskinfo's times.</summary>
    public static MachTimebase Timebase { get; } = ReadTimebase();

    [LibraryImport(LibSystem, EntryPoint = "sysctlbyname", SetLastError = true)]
    private static partial int SysctlByName(byte* name, void* oldValue, nuint* oldLength, void* newValue, nuint newLength);

    [LibraryImport(LibSystem, EntryPoint = "sysctl", SetLastError = true)]
    private static partial int Sysctl(int* name, uint nameLength, void* oldValue, nuint* oldLength, void* newValue, nuint newLength);

    [LibraryImport(LibSystem, EntryPoint = "getloadavg")]
    private static partial int GetLoadAvg(double* loads, int count);

    [LibraryImport(LibSystem, EntryPoint = "mach_host_self")]
    private static partial uint MachHostSelf();

    [LibraryImport(LibSystem, EntryPoint = "host_processor_info")]
    private static partial int HostProcessorInfo(uint host, int flavor, uint* processorCount, nint* info, uint* infoCount);

    [LibraryImport(LibSystem, EntryPoint = "host_statistics64")]
    private static partial int HostStatistics64(uint host, int flavor, void* info, uint* count);

    [LibraryImport(LibSystem, EntryPoint = "vm_deallocate")]
    private static partial int VmDeallocate(uint task, nuint address, nuint size);

    [LibraryImport(LibSystem, EntryPoint = "mach_timebase_info")]
    private static partial int MachTimebaseInfo(uint* info);

    // The plain getfsstat symbol on x86-64 is the pre-10.6 call with 32-bit inodes and a different struct statfs;
    // the header renames calls to getfsstat$INODE64 there. arm64 has only the 64-bit-inode call, under the plain name.
    [LibraryImport(LibSystem, EntryPoint = "getfsstat", SetLastError = true)]
    private static partial int GetFsStat(void* buffer, int bufferSize, int mode);

    [LibraryImport(LibSystem, EntryPoint = "getfsstat$INODE64", SetLastError = true)]
    private static partial int GetFsStatInode64(void* buffer, int bufferSize, int mode);

    [LibraryImport(LibProc, EntryPoint = "proc_listallpids", SetLastError = true)]
    private static partial int ProcListAllPids(int* buffer, int bufferSize);

    [LibraryImport(LibProc, EntryPoint = "proc_pidinfo", SetLastError = true)]
    private static partial int ProcPidInfo(int pid, int flavor, ulong argument, void* buffer, int bufferSize);

    [LibraryImport(LibProc, EntryPoint = "proc_pidpath", SetLastError = true)]
    private static partial int ProcPidPath(int pid, byte* buffer, uint bufferSize);

    [LibraryImport(LibSystem, EntryPoint = "getpwuid_r")]
    private static partial int GetPwUidR(uint uid, void* passwd, byte* buffer, nuint bufferSize, void** result);

    [LibraryImport(LibSystem, EntryPoint = "gethostuuid", SetLastError = true)]
    private static partial int GetHostUuid(byte* uuid, long* wait);

    /// <summary>sysctlbyname into <paramref name="buffer"/>; the byte count, or -1 when the name does not exist or fails.</summary>
    /// <param name="name">The name, NUL-terminated ("kern.boottime\0"u8).</param>
    public static int TrySysctlByName(ReadOnlySpan<byte> name, Span<byte> buffer)
    {
        var length = (nuint)buffer.Length;
        fixed (byte* n = name)
        fixed (byte* b = buffer)
        {
            return SysctlByName(n, b, &length, null, 0) == 0 ? (int)length : -1;
        }
    }

    /// <summary>A string sysctl, or null when the name does not exist (hw.cpufrequency on Apple silicon).</summary>
    public static string? TrySysctlString(ReadOnlySpan<byte> name)
    {
        nuint length = 0;
        fixed (byte* n = name)
        {
            if (SysctlByName(n, null, &length, null, 0) != 0 || length == 0 || length > 64 * 1024)
            {
                return null;
            }
        }

        var buffer = new byte[(int)length];
        var read = TrySysctlByName(name, buffer);
        return read < 0 ? null : MacStructs.ParseSysctlString(buffer.AsSpan(0, read));
    }

    /// <summary>An integer sysctl of 4 or 8 bytes, or null when the name does not exist.</summary>
    public static ulong? TrySysctlInteger(ReadOnlySpan<byte> name)
    {
        Span<byte> buffer = stackalloc byte[8];
        buffer.Clear();
        var read = TrySysctlByName(name, buffer);
        return read is 4 or 8 ? MacStructs.ParseSysctlInteger(buffer[..read]) : null;
    }

    /// <summary>sysctlbyname that must succeed: the byte count, or an IOException naming the sysctl.</summary>
    public static int SysctlByName(ReadOnlySpan<byte> name, Span<byte> buffer)
    {
        var read = TrySysctlByName(name, buffer);
        return read >= 0
            ? read
            : throw new IOException($"sysctl {System.Text.Encoding.ASCII.GetString(MacStructs.CString(name))} failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>getloadavg(3): the 1, 5 and 15 minute load averages.</summary>
    public static LoadAverage LoadAverages()
    {
        var loads = stackalloc double[3];
        return GetLoadAvg(loads, 3) == 3 ? new LoadAverage(loads[0], loads[1], loads[2]) : default;
    }

    /// <summary>
    /// host_processor_info(PROCESSOR_CPU_LOAD_INFO): copies the per-processor tick array into <paramref name="buffer"/>
    /// (grown as needed) and frees the kernel's copy. Returns the byte count.
    /// </summary>
    public static int ReadCpuLoadInfo(ref byte[] buffer)
    {
        uint processors, count;
        nint info;
        var rc = HostProcessorInfo(s_host, ProcessorCpuLoadInfo, &processors, &info, &count);
        if (rc != KernSuccess)
        {
            throw new IOException($"host_processor_info failed: kern_return_t {rc}.");
        }

        // The array is vm_allocate'd into this task for us; it must go back every call, or it leaks every second.
        var bytes = (int)count * sizeof(int);
        try
        {
            if (buffer.Length < bytes)
            {
                buffer = new byte[bytes];
            }

            new ReadOnlySpan<byte>((void*)info, bytes).CopyTo(buffer);
            return bytes;
        }
        finally
        {
            VmDeallocate(TaskSelf, (nuint)info, (nuint)bytes);
        }
    }

    /// <summary>host_statistics64(HOST_VM_INFO64) into <paramref name="buffer"/> (at least 152 bytes).</summary>
    public static void ReadVmStatistics64(Span<byte> buffer)
    {
        if (buffer.Length < MacStructs.VmStatistics64Size)
        {
            throw new ArgumentException("The buffer must hold a vm_statistics64.", nameof(buffer));
        }

        var count = HostVmInfo64Count;
        int rc;
        fixed (byte* b = buffer)
        {
            rc = HostStatistics64(s_host, HostVmInfo64, b, &count);
        }

        if (rc != KernSuccess)
        {
            throw new IOException($"host_statistics64 failed: kern_return_t {rc}.");
        }
    }

    /// <summary>sysctl NET_RT_IFLIST2 into <paramref name="buffer"/> (grown as needed); the byte count.</summary>
    public static int ReadInterfaceList(ref byte[] buffer)
    {
        var mib = stackalloc int[] { CtlNet, PfRoute, 0, 0, NetRtIfList2, 0 };
        return ReadMib(mib, 6, ref buffer, "NET_RT_IFLIST2");
    }

    /// <summary>getfsstat(MNT_NOWAIT) into <paramref name="buffer"/> (grown as needed); the number of statfs entries.</summary>
    /// <remarks>MNT_NOWAIT returns the kernel's cached figures and never waits on a hung (network) filesystem.</remarks>
    public static int ReadMounts(ref byte[] buffer)
    {
        while (true)
        {
            var capacity = buffer.Length / MacStructs.StatfsSize;
            int count;
            fixed (byte* b = buffer)
            {
                count = IsX64
                    ? GetFsStatInode64(b, capacity * MacStructs.StatfsSize, MntNoWait)
                    : GetFsStat(b, capacity * MacStructs.StatfsSize, MntNoWait);
            }

            if (count < 0)
            {
                throw new IOException($"getfsstat failed: errno {Marshal.GetLastPInvokeError()}.");
            }

            // A full buffer may have cut the list short: grow and ask again.
            if (count < capacity)
            {
                return count;
            }

            buffer = new byte[Math.Max(capacity * 2, 16) * MacStructs.StatfsSize];
        }
    }

    /// <summary>proc_listallpids into <paramref name="pids"/> (grown as needed); the number of pids.</summary>
    public static int ListAllPids(ref int[] pids)
    {
        while (true)
        {
            int count;
            fixed (int* p = pids)
            {
                count = ProcListAllPids(p, pids.Length * sizeof(int));
            }

            if (count < 0)
            {
                throw new IOException($"proc_listallpids failed: errno {Marshal.GetLastPInvokeError()}.");
            }

            if (count < pids.Length)
            {
                return count;
            }

            pids = new int[Math.Max(pids.Length * 2, 1024)];
        }
    }

    /// <summary>PROC_PIDTASKALLINFO (proc_bsdinfo then proc_taskinfo); false when the process is gone or not ours to read.</summary>
    public static bool TryReadTaskAllInfo(int pid, Span<byte> buffer) =>
        TryPidInfo(pid, ProcPidTaskAllInfo, buffer, MacStructs.ProcTaskAllInfoSize);

    /// <summary>PROC_PIDTBSDINFO; readable for other users' processes too, unlike the task info.</summary>
    public static bool TryReadBsdInfo(int pid, Span<byte> buffer) =>
        TryPidInfo(pid, ProcPidTBsdInfo, buffer, MacStructs.ProcBsdInfoSize);

    /// <summary>The executable's path (proc_pidpath), or empty.</summary>
    public static ReadOnlySpan<byte> ProcessPath(int pid, Span<byte> buffer)
    {
        if (buffer.Length < ProcPidPathInfoMaxSize)
        {
            throw new ArgumentException("The buffer must hold PROC_PIDPATHINFO_MAXSIZE bytes.", nameof(buffer));
        }

        int length;
        fixed (byte* b = buffer)
        {
            length = ProcPidPath(pid, b, ProcPidPathInfoMaxSize);
        }

        return length > 0 ? buffer[..length] : default;
    }

    /// <summary>The size of a KERN_PROCARGS2 buffer that always suffices (kern.argmax).</summary>
    public static int ArgMax()
    {
        var mib = stackalloc int[] { CtlKern, KernArgMax };
        int value;
        nuint length = sizeof(int);
        return Sysctl(mib, 2, &value, &length, null, 0) == 0 && value > 0 ? value : 1024 * 1024;
    }

    /// <summary>
    /// KERN_PROCARGS2 of <paramref name="pid"/> into <paramref name="buffer"/>; the byte count, or -1 (another user's
    /// process without root, a zombie, a process gone). The buffer must be kern.argmax long: the kernel copies the
    /// END of the argument area into a shorter one.
    /// </summary>
    public static int TryReadProcArgs2(int pid, byte[] buffer)
    {
        var mib = stackalloc int[] { CtlKern, KernProcArgs2, pid };
        var length = (nuint)buffer.Length;
        fixed (byte* b = buffer)
        {
            return Sysctl(mib, 3, b, &length, null, 0) == 0 ? (int)length : -1;
        }
    }

    /// <summary>The user name of <paramref name="uid"/> from Directory Services (getpwuid_r), or null.</summary>
    /// <remarks>/etc/passwd on macOS lists only system accounts; people's accounts live in Open Directory.</remarks>
    public static string? TryUserName(uint uid)
    {
        var passwd = stackalloc byte[PasswdSize];
        for (var size = 1024; size <= 64 * 1024; size *= 4)
        {
            var strings = new byte[size];
            void* result = null;
            int rc;
            fixed (byte* s = strings)
            {
                rc = GetPwUidR(uid, passwd, s, (nuint)size, &result);
                if (rc == 0)
                {
                    return result == null ? null : Marshal.PtrToStringUTF8(*(nint*)passwd);
                }
            }

            if (rc != ResultTooLarge)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>The hardware UUID (what System Information and IOPlatformUUID show), or null.</summary>
    /// <remarks>Not sysctl kern.uuid: that is the kernel build's UUID, the same on every Mac on one macOS version.</remarks>
    public static string? TryHostUuid()
    {
        var uuid = stackalloc byte[16];
        var wait = stackalloc long[] { 1, 0 }; // struct timespec: 1 s, then give up
        return GetHostUuid(uuid, wait) == 0 ? MacStructs.FormatHostUuid(new ReadOnlySpan<byte>(uuid, 16)) : null;
    }

    private static bool IsX64 => RuntimeInformation.ProcessArchitecture == Architecture.X64;

    private static bool TryPidInfo(int pid, int flavor, Span<byte> buffer, int size)
    {
        if (buffer.Length < size)
        {
            throw new ArgumentException($"The buffer must hold {size} bytes.", nameof(buffer));
        }

        fixed (byte* b = buffer)
        {
            // proc_pidinfo returns the bytes written; a short count is as good as a failure.
            return ProcPidInfo(pid, flavor, 0, b, size) == size;
        }
    }

    private static int ReadMib(int* mib, uint length, ref byte[] buffer, string what)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            nuint size = 0;
            if (Sysctl(mib, length, null, &size, null, 0) != 0)
            {
                throw new IOException($"sysctl {what} failed: errno {Marshal.GetLastPInvokeError()}.");
            }

            if ((nuint)buffer.Length < size)
            {
                // Headroom: interfaces come and go between the size query and the read.
                buffer = new byte[(int)size + (int)(size / 4) + 256];
            }

            size = (nuint)buffer.Length;
            fixed (byte* b = buffer)
            {
                if (Sysctl(mib, length, b, &size, null, 0) == 0)
                {
                    return (int)size;
                }
            }

            if (Marshal.GetLastPInvokeError() != NoMemory)
            {
                break;
            }
        }

        throw new IOException($"sysctl {what} failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    private static ulong ReadKernelPageSize()
    {
        foreach (var symbol in (ReadOnlySpan<string>)["vm_kernel_page_size", "vm_page_size"])
        {
            if (NativeLibrary.TryGetExport(s_libSystem, symbol, out var address) && *(nuint*)address is > 0 and var size)
            {
                return size;
            }
        }

        return (ulong)Environment.SystemPageSize;
    }

    private static MachTimebase ReadTimebase()
    {
        var info = stackalloc uint[2];
        return MachTimebaseInfo(info) == KernSuccess && info[1] != 0 ? new MachTimebase(info[0], info[1]) : MachTimebase.Nanoseconds;
    }
}
