using System.Buffers.Binary;
using System.Text;
using SysMon.Agent.Collectors;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>struct xsw_usage (vm.swapusage), bytes.</summary>
internal readonly record struct XswUsage(ulong TotalBytes, ulong AvailableBytes, ulong UsedBytes);

/// <summary>The struct vm_statistics64 counts the agent uses, in pages.</summary>
internal readonly record struct VmStatistics64(
    uint FreePages, uint ActivePages, uint InactivePages, uint WiredPages, uint PurgeablePages, uint SpeculativePages,
    uint CompressorPages, uint ExternalPages, uint InternalPages);

/// <summary>The struct proc_taskinfo fields the agent uses. Times are in Mach absolute time units.</summary>
internal readonly record struct ProcTaskInfo(ulong ResidentBytes, ulong TotalUserMach, ulong TotalSystemMach, uint Threads);

/// <summary>The struct proc_bsdinfo fields the agent uses.</summary>
/// <param name="StartMicroseconds">Start time, µs since the Unix epoch: with the pid, identifies one process.</param>
internal readonly record struct ProcBsdInfo(int Pid, uint Status, uint EffectiveUid, ulong StartMicroseconds);

/// <summary>One struct statfs (64-bit inode layout) from getfsstat.</summary>
internal readonly record struct MacStatfs(
    uint BlockSizeBytes, ulong Blocks, ulong FreeBlocks, ulong AvailableBlocks, uint Flags, uint FlagsExt,
    string FsType, string MountPoint, string Device)
{
    public ulong TotalBytes => Blocks * BlockSizeBytes;

    /// <summary>Free space unprivileged users can write, bytes (f_bavail).</summary>
    public ulong AvailableBytes => AvailableBlocks * BlockSizeBytes;
}

/// <summary>
/// One RTM_IFINFO2 message of NET_RT_IFLIST2: an interface's 64-bit counters. The name stays a byte range of the
/// buffer (<see cref="MacStructs.InterfaceName"/>) so a sample need not allocate one string per interface.
/// </summary>
internal readonly record struct MacInterfaceCounters(
    ushort Index, int Flags, int NameOffset, int NameLength,
    ulong RxBytes, ulong RxPackets, ulong RxErrors, ulong RxDrops,
    ulong TxBytes, ulong TxPackets, ulong TxErrors, ulong TxDrops);

/// <summary>
/// Every byte layout the macOS collectors read, as pure parsers over spans: they run (and are tested) anywhere.
/// Offsets are for 64-bit macOS (x86-64 and arm64 lay these structs out alike) and native little-endian byte order.
/// </summary>
internal static class MacStructs
{
    // <sys/sysctl.h> struct xsw_usage: u_int64_t xsu_total, xsu_avail, xsu_used; u_int32_t xsu_pagesize;
    // boolean_t xsu_encrypted. 32 bytes.
    public const int XswUsageSize = 32;
    private const int XsuTotal = 0;
    private const int XsuAvail = 8;
    private const int XsuUsed = 16;

    // <mach/vm_statistics.h> struct vm_statistics64 (aligned(8)), 152 bytes = HOST_VM_INFO64_COUNT (38) integer_t.
    public const int VmStatistics64Size = 152;
    private const int VmFreeCount = 0;            // natural_t free_count (includes speculative pages)
    private const int VmActiveCount = 4;          // natural_t active_count
    private const int VmInactiveCount = 8;        // natural_t inactive_count
    private const int VmWireCount = 12;           // natural_t wire_count
    // 16..87: uint64_t zero_fill_count, reactivations, pageins, pageouts, faults, cow_faults, lookups, hits, purges
    private const int VmPurgeableCount = 88;      // natural_t purgeable_count
    private const int VmSpeculativeCount = 92;    // natural_t speculative_count
    // 96..127: uint64_t decompressions, compressions, swapins, swapouts
    private const int VmCompressorPageCount = 128; // natural_t compressor_page_count
    // 132: natural_t throttled_count
    private const int VmExternalPageCount = 136;  // natural_t external_page_count (file-backed)
    private const int VmInternalPageCount = 140;  // natural_t internal_page_count (anonymous)
    // 144: uint64_t total_uncompressed_pages_in_compressor

    // <mach/processor_info.h> struct processor_cpu_load_info { unsigned int cpu_ticks[CPU_STATE_MAX]; } per
    // processor, with <mach/machine.h> CPU_STATE_USER 0, CPU_STATE_SYSTEM 1, CPU_STATE_IDLE 2, CPU_STATE_NICE 3.
    public const int CpuLoadInfoSize = 16;
    private const int CpuStateUser = 0;
    private const int CpuStateSystem = 4;
    private const int CpuStateIdle = 8;
    private const int CpuStateNice = 12;

    // <sys/proc_info.h> struct proc_taskinfo, 96 bytes: uint64_t pti_virtual_size, pti_resident_size,
    // pti_total_user, pti_total_system, pti_threads_user, pti_threads_system; then int32_t pti_policy, pti_faults,
    // pti_pageins, pti_cow_faults, pti_messages_sent, pti_messages_received, pti_syscalls_mach, pti_syscalls_unix,
    // pti_csw, pti_threadnum, pti_numrunning, pti_priority.
    public const int ProcTaskInfoSize = 96;
    private const int PtiResidentSize = 8;
    private const int PtiTotalUser = 16;
    private const int PtiTotalSystem = 24;
    private const int PtiThreadNum = 84;

    // <sys/proc_info.h> struct proc_bsdinfo, 136 bytes: uint32_t pbi_flags, pbi_status, pbi_xstatus, pbi_pid,
    // pbi_ppid; uid_t pbi_uid (effective); gid_t pbi_gid; uid_t pbi_ruid; gid_t pbi_rgid; uid_t pbi_svuid;
    // gid_t pbi_svgid; uint32_t rfu_1; char pbi_comm[MAXCOMLEN = 16]; char pbi_name[2 * MAXCOMLEN];
    // uint32_t pbi_nfiles, pbi_pgid, pbi_pjobc, e_tdev, e_tpgid; int32_t pbi_nice; uint64_t pbi_start_tvsec,
    // pbi_start_tvusec.
    public const int ProcBsdInfoSize = 136;
    private const int PbiStatus = 4;
    private const int PbiPid = 12;
    private const int PbiUid = 20;
    private const int PbiComm = 48;
    private const int PbiCommLength = 16;
    private const int PbiName = 64;
    private const int PbiNameLength = 32;
    private const int PbiStartTvSec = 120;
    private const int PbiStartTvUsec = 128;

    // <sys/proc_info.h> struct proc_taskallinfo { struct proc_bsdinfo pbsd; struct proc_taskinfo ptinfo; }: what
    // PROC_PIDTASKALLINFO returns, both in one call.
    public const int ProcTaskAllInfoSize = ProcBsdInfoSize + ProcTaskInfoSize;

    // <sys/mount.h> __DARWIN_STRUCT_STATFS64 (struct statfs with 64-bit inodes: always on arm64, and on x86-64
    // through the getfsstat$INODE64 symbol), 2168 bytes: uint32_t f_bsize; int32_t f_iosize; uint64_t f_blocks,
    // f_bfree, f_bavail, f_files, f_ffree; fsid_t f_fsid (2 × int32); uid_t f_owner; uint32_t f_type, f_flags,
    // f_fssubtype; char f_fstypename[MFSTYPENAMELEN = 16]; char f_mntonname[MAXPATHLEN = 1024];
    // char f_mntfromname[MAXPATHLEN]; uint32_t f_flags_ext; uint32_t f_reserved[7].
    public const int StatfsSize = 2168;
    private const int FBsize = 0;
    private const int FBlocks = 8;
    private const int FBfree = 16;
    private const int FBavail = 24;
    private const int FFlags = 64;
    private const int FFsTypeName = 72;
    private const int FsTypeNameLength = 16;
    private const int FMntOnName = 88;
    private const int FMntFromName = 1112;
    private const int MaxPathLength = 1024;
    private const int FFlagsExt = 2136;

    // <net/if.h> struct if_msghdr2, 160 bytes: u_short ifm_msglen; u_char ifm_version, ifm_type; int ifm_addrs,
    // ifm_flags; u_short ifm_index (2 bytes padding follow); int ifm_snd_len, ifm_snd_maxlen, ifm_snd_drops,
    // ifm_timer; struct if_data64 ifm_data (at 32, 128 bytes).
    public const int IfMsgHdr2Size = 160;
    private const int IfmMsgLen = 0;
    private const int IfmType = 3;
    private const int IfmAddrs = 4;
    private const int IfmFlags = 8;
    private const int IfmIndex = 12;
    private const int IfmSndDrops = 24;
    private const int IfmData = 32;
    // <net/if_var.h> struct if_data64 (#pragma pack(4)): 8 u_char, u_int32_t ifi_mtu, ifi_metric, then u_int64_t
    // ifi_baudrate (8), ifi_ipackets, ifi_ierrors, ifi_opackets, ifi_oerrors, ifi_collisions, ifi_ibytes, ifi_obytes,
    // ifi_imcasts, ifi_omcasts, ifi_iqdrops, ifi_noproto; u_int32_t ifi_recvtiming, ifi_xmittiming; timeval32.
    private const int IfiIPackets = IfmData + 24;
    private const int IfiIErrors = IfmData + 32;
    private const int IfiOPackets = IfmData + 40;
    private const int IfiOErrors = IfmData + 48;
    private const int IfiIBytes = IfmData + 64;
    private const int IfiOBytes = IfmData + 72;
    private const int IfiIqDrops = IfmData + 96;
    // <net/route.h> RTM_IFINFO2; RTA_IFP is the addrs bit of the interface's link-level sockaddr, which follows the
    // header (after any sockaddrs of lower bits, each rounded up to 4 bytes as rtsock.c does).
    private const byte RtmIfInfo2 = 0x12;
    private const int RtaIfp = 0x10;
    // <net/if_dl.h> struct sockaddr_dl: u_char sdl_len, sdl_family (AF_LINK = 18); u_short sdl_index;
    // u_char sdl_type, sdl_nlen, sdl_alen, sdl_slen; char sdl_data[] (the name first, not NUL-terminated).
    private const byte AfLink = 18;
    private const int SdlFamily = 1;
    private const int SdlNameLength = 5;
    private const int SdlData = 8;

    // <sys/_types/_timeval.h> struct timeval on 64-bit: __darwin_time_t tv_sec (8); __darwin_suseconds_t tv_usec
    // (4, then 4 padding). kern.boottime returns one.
    public const int TimevalSize = 16;

    /// <summary>Parses struct xsw_usage (sysctl vm.swapusage).</summary>
    public static XswUsage ParseXswUsage(ReadOnlySpan<byte> data)
    {
        RequireLength(data, XswUsageSize, "xsw_usage");
        return new XswUsage(U64(data, XsuTotal), U64(data, XsuAvail), U64(data, XsuUsed));
    }

    /// <summary>Parses struct vm_statistics64 (host_statistics64 HOST_VM_INFO64).</summary>
    public static VmStatistics64 ParseVmStatistics64(ReadOnlySpan<byte> data)
    {
        RequireLength(data, VmStatistics64Size, "vm_statistics64");
        return new VmStatistics64(
            FreePages: U32(data, VmFreeCount),
            ActivePages: U32(data, VmActiveCount),
            InactivePages: U32(data, VmInactiveCount),
            WiredPages: U32(data, VmWireCount),
            PurgeablePages: U32(data, VmPurgeableCount),
            SpeculativePages: U32(data, VmSpeculativeCount),
            CompressorPages: U32(data, VmCompressorPageCount),
            ExternalPages: U32(data, VmExternalPageCount),
            InternalPages: U32(data, VmInternalPageCount));
    }

    /// <summary>
    /// Parses the processor_cpu_load_info array of host_processor_info into <paramref name="cores"/> (cleared
    /// first); the sum over cores goes into the returned total.
    /// </summary>
    public static MacCpuTicks ParseCpuLoadInfo(ReadOnlySpan<byte> data, List<MacCpuTicks> cores)
    {
        cores.Clear();
        ulong user = 0, system = 0, idle = 0, nice = 0;
        for (var offset = 0; offset + CpuLoadInfoSize <= data.Length; offset += CpuLoadInfoSize)
        {
            var core = new MacCpuTicks(
                User: U32(data, offset + CpuStateUser),
                System: U32(data, offset + CpuStateSystem),
                Idle: U32(data, offset + CpuStateIdle),
                Nice: U32(data, offset + CpuStateNice));
            cores.Add(core);
            user += core.User;
            system += core.System;
            idle += core.Idle;
            nice += core.Nice;
        }

        return new MacCpuTicks(user, system, idle, nice);
    }

    /// <summary>Parses struct proc_taskinfo.</summary>
    public static ProcTaskInfo ParseTaskInfo(ReadOnlySpan<byte> data)
    {
        RequireLength(data, ProcTaskInfoSize, "proc_taskinfo");
        var threads = BinaryPrimitives.ReadInt32LittleEndian(data[PtiThreadNum..]);
        return new ProcTaskInfo(
            ResidentBytes: U64(data, PtiResidentSize),
            TotalUserMach: U64(data, PtiTotalUser),
            TotalSystemMach: U64(data, PtiTotalSystem),
            Threads: threads > 0 ? (uint)threads : 0);
    }

    /// <summary>Parses the numeric fields of struct proc_bsdinfo.</summary>
    public static ProcBsdInfo ParseBsdInfo(ReadOnlySpan<byte> data)
    {
        RequireLength(data, ProcBsdInfoSize, "proc_bsdinfo");
        var seconds = U64(data, PbiStartTvSec);
        var microseconds = U64(data, PbiStartTvUsec);
        return new ProcBsdInfo(
            Pid: (int)U32(data, PbiPid),
            Status: U32(data, PbiStatus),
            EffectiveUid: U32(data, PbiUid),
            StartMicroseconds: unchecked((seconds * 1_000_000) + microseconds));
    }

    /// <summary>
    /// A process's name as proc_name(3) gives it: pbi_name (up to 32 bytes, set by the process) when there is one,
    /// else pbi_comm (the executable's first 16 bytes). Raw bytes, not NUL-terminated.
    /// </summary>
    public static ReadOnlySpan<byte> BsdInfoName(ReadOnlySpan<byte> data)
    {
        RequireLength(data, ProcBsdInfoSize, "proc_bsdinfo");
        var name = CString(data.Slice(PbiName, PbiNameLength));
        return name.IsEmpty ? CString(data.Slice(PbiComm, PbiCommLength)) : name;
    }

    /// <summary>Parses one struct statfs (64-bit inode layout).</summary>
    public static MacStatfs ParseStatfs(ReadOnlySpan<byte> data)
    {
        RequireLength(data, StatfsSize, "statfs");
        return new MacStatfs(
            BlockSizeBytes: U32(data, FBsize),
            Blocks: U64(data, FBlocks),
            FreeBlocks: U64(data, FBfree),
            AvailableBlocks: U64(data, FBavail),
            Flags: U32(data, FFlags),
            FlagsExt: U32(data, FFlagsExt),
            FsType: Utf8(CString(data.Slice(FFsTypeName, FsTypeNameLength))),
            MountPoint: Utf8(CString(data.Slice(FMntOnName, MaxPathLength))),
            Device: Utf8(CString(data.Slice(FMntFromName, MaxPathLength))));
    }

    /// <summary>
    /// Walks the routing messages of sysctl NET_RT_IFLIST2 by ifm_msglen and adds every RTM_IFINFO2 (one per
    /// interface; the address messages between them are skipped) to <paramref name="into"/>.
    /// </summary>
    public static void ParseInterfaceList(ReadOnlySpan<byte> data, List<MacInterfaceCounters> into)
    {
        into.Clear();
        var offset = 0;
        while (offset + 4 <= data.Length)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(data[(offset + IfmMsgLen)..]);
            // A zero or overlong length means a truncated or foreign buffer: stop rather than loop or overrun.
            if (length < 4 || offset + length > data.Length)
            {
                break;
            }

            var message = data.Slice(offset, length);
            if (message[IfmType] == RtmIfInfo2 && length >= IfMsgHdr2Size)
            {
                var (nameOffset, nameLength) = FindInterfaceName(message);
                into.Add(new MacInterfaceCounters(
                    Index: BinaryPrimitives.ReadUInt16LittleEndian(message[IfmIndex..]),
                    Flags: BinaryPrimitives.ReadInt32LittleEndian(message[IfmFlags..]),
                    NameOffset: nameLength > 0 ? offset + nameOffset : 0,
                    NameLength: nameLength,
                    RxBytes: U64(message, IfiIBytes),
                    RxPackets: U64(message, IfiIPackets),
                    RxErrors: U64(message, IfiIErrors),
                    RxDrops: U64(message, IfiIqDrops),
                    TxBytes: U64(message, IfiOBytes),
                    TxPackets: U64(message, IfiOPackets),
                    TxErrors: U64(message, IfiOErrors),
                    // ifm_snd_drops is an int; a negative value can only be garbage.
                    TxDrops: (ulong)Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(message[IfmSndDrops..]))));
            }

            offset += length;
        }
    }

    /// <summary>The name of an interface parsed by <see cref="ParseInterfaceList"/>, or "if&lt;index&gt;" when it had none.</summary>
    public static string InterfaceName(ReadOnlySpan<byte> data, in MacInterfaceCounters counters) =>
        counters.NameLength > 0
            ? Utf8(data.Slice(counters.NameOffset, counters.NameLength))
            : "if" + counters.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The argument vector of a KERN_PROCARGS2 buffer as NUL-separated bytes: the buffer is int argc, the executable
    /// path (NUL-terminated, then NUL padding), argv[0..argc-1] (each NUL-terminated), then the environment, which is
    /// left out. Empty when argc is 0 or the buffer is malformed.
    /// </summary>
    public static ReadOnlySpan<byte> ProcArgs2Arguments(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
        {
            return default;
        }

        var argc = BinaryPrimitives.ReadInt32LittleEndian(data);
        var rest = data[4..];
        var pathEnd = rest.IndexOf((byte)0);
        if (argc <= 0 || pathEnd < 0)
        {
            return default;
        }

        var start = pathEnd;
        while (start < rest.Length && rest[start] == 0)
        {
            start++;
        }

        var end = start;
        for (var i = 0; i < argc && end < rest.Length; i++)
        {
            var terminator = rest[end..].IndexOf((byte)0);
            end = terminator < 0 ? rest.Length : end + terminator + 1;
        }

        return rest[start..end];
    }

    /// <summary>The executable path at the start of a KERN_PROCARGS2 buffer (after argc); empty when malformed.</summary>
    public static ReadOnlySpan<byte> ProcArgs2ExecutablePath(ReadOnlySpan<byte> data) =>
        data.Length < 4 ? default : CString(data[4..]);

    /// <summary>struct timeval (64-bit) as seconds since the epoch, e.g. kern.boottime.</summary>
    public static double ParseTimevalSeconds(ReadOnlySpan<byte> data)
    {
        RequireLength(data, 12, "timeval");
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(data);
        var microseconds = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        return seconds + (microseconds / 1e6);
    }

    /// <summary>An integer sysctl of either width (hw.logicalcpu is an int, hw.memsize a 64-bit one).</summary>
    public static ulong ParseSysctlInteger(ReadOnlySpan<byte> data) => data.Length switch
    {
        >= 8 => U64(data, 0),
        >= 4 => U32(data, 0),
        _ => throw new FormatException($"A sysctl integer has 4 or 8 bytes, not {data.Length}."),
    };

    /// <summary>A NUL-terminated string sysctl (kern.osrelease …) decoded, at most 256 chars.</summary>
    public static string ParseSysctlString(ReadOnlySpan<byte> data) => ProcFile.Truncate(Utf8(CString(data)), 256);

    /// <summary>A uuid_t (16 bytes) as uuid_unparse_upper writes it, the form System Information shows.</summary>
    public static string? FormatHostUuid(ReadOnlySpan<byte> uuid)
    {
        if (uuid.Length != 16 || !uuid.ContainsAnyExcept((byte)0))
        {
            return null;
        }

        // Byte order as stored (RFC 4122 network order), unlike System.Guid's little-endian first fields.
        var hex = Convert.ToHexString(uuid);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>The bytes before the first NUL (all of them when there is none).</summary>
    public static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOf((byte)0);
        return end < 0 ? data : data[..end];
    }

    private static (int Offset, int Length) FindInterfaceName(ReadOnlySpan<byte> message)
    {
        var addrs = BinaryPrimitives.ReadInt32LittleEndian(message[IfmAddrs..]);
        if ((addrs & RtaIfp) == 0)
        {
            return default;
        }

        var offset = IfMsgHdr2Size;
        for (var bit = 1; bit < RtaIfp; bit <<= 1)
        {
            if ((addrs & bit) != 0)
            {
                if (offset >= message.Length)
                {
                    return default;
                }

                int saLength = message[offset];
                offset += saLength > 0 ? (saLength + 3) & ~3 : 4;
            }
        }

        if (offset + SdlData > message.Length || message[offset + SdlFamily] != AfLink)
        {
            return default;
        }

        int nameLength = message[offset + SdlNameLength];
        return offset + SdlData + nameLength <= message.Length ? (offset + SdlData, nameLength) : default;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);

    private static ulong U64(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]);

    private static uint U32(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);

    private static void RequireLength(ReadOnlySpan<byte> data, int length, string structName)
    {
        if (data.Length < length)
        {
            throw new FormatException($"struct {structName} needs {length} bytes, got {data.Length}.");
        }
    }
}
