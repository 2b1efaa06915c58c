using System.Text;
using SysMon.Agent.Platforms.MacOS;

namespace SysMon.Agent.Tests.Platforms.MacOS;

public class MacStructsTests
{
    [Fact]
    public void ParseXswUsageReadsTotalAvailableAndUsed()
    {
        // <sys/sysctl.h>: xsu_total @0, xsu_avail @8, xsu_used @16, xsu_pagesize @24, xsu_encrypted @28.
        var bytes = new Bytes(32).U64(0, 2UL << 30).U64(8, 1536UL << 20).U64(16, 512UL << 20).U32(24, 16384).U32(28, 1);

        var swap = MacStructs.ParseXswUsage(bytes.Data);

        Assert.Equal(new XswUsage(2UL << 30, 1536UL << 20, 512UL << 20), swap);
    }

    [Fact]
    public void ParseXswUsageRejectsAShortBuffer()
    {
        Assert.Throws<FormatException>(() => MacStructs.ParseXswUsage(new byte[24]));
    }

    [Fact]
    public void ParseVmStatistics64ReadsEveryCountAtItsHeaderOffset()
    {
        // <mach/vm_statistics.h>: four natural_t, nine uint64_t (16..87), purgeable @88, speculative @92, four
        // uint64_t (96..127), compressor @128, throttled @132, external @136, internal @140, one uint64_t @144.
        var bytes = new Bytes(152)
            .U32(0, 1000).U32(4, 2000).U32(8, 3000).U32(12, 4000)
            .U64(16, ulong.MaxValue).U64(80, ulong.MaxValue) // zero_fill_count … purges: must not leak into counts
            .U32(88, 50).U32(92, 60)
            .U64(96, ulong.MaxValue).U64(120, ulong.MaxValue)
            .U32(128, 700).U32(132, 9).U32(136, 800).U32(140, 900)
            .U64(144, ulong.MaxValue);

        var vm = MacStructs.ParseVmStatistics64(bytes.Data);

        Assert.Equal(new VmStatistics64(
            FreePages: 1000, ActivePages: 2000, InactivePages: 3000, WiredPages: 4000, PurgeablePages: 50,
            SpeculativePages: 60, CompressorPages: 700, ExternalPages: 800, InternalPages: 900), vm);
    }

    [Fact]
    public void ParseCpuLoadInfoReadsUserSystemIdleNicePerProcessorAndSumsThem()
    {
        // <mach/processor_info.h>: cpu_ticks[CPU_STATE_MAX] per processor, USER 0, SYSTEM 1, IDLE 2, NICE 3.
        var bytes = new Bytes(32)
            .U32(0, 100).U32(4, 50).U32(8, 1000).U32(12, 5)
            .U32(16, uint.MaxValue).U32(20, 7).U32(24, 8).U32(28, 9);
        var cores = new List<MacCpuTicks>();

        var total = MacStructs.ParseCpuLoadInfo(bytes.Data, cores);

        Assert.Equal([new MacCpuTicks(100, 50, 1000, 5), new MacCpuTicks(uint.MaxValue, 7, 8, 9)], cores);
        Assert.Equal(new MacCpuTicks(100UL + uint.MaxValue, 57, 1008, 14), total);
    }

    [Fact]
    public void ParseTaskInfoReadsResidentSizeTimesAndThreadCount()
    {
        // <sys/proc_info.h>: six uint64_t (virtual @0, resident @8, total_user @16, total_system @24, …), then
        // twelve int32_t from @48, pti_threadnum being the tenth (@84).
        var bytes = new Bytes(96)
            .U64(0, 1UL << 40).U64(8, 123_456_789).U64(16, 24_000_000).U64(24, 6_000_000)
            .U64(32, 1).U64(40, 1).I32(80, 9999).I32(84, 17).I32(88, 2);

        var task = MacStructs.ParseTaskInfo(bytes.Data);

        Assert.Equal(new ProcTaskInfo(ResidentBytes: 123_456_789, TotalUserMach: 24_000_000, TotalSystemMach: 6_000_000, Threads: 17), task);
    }

    [Fact]
    public void ParseBsdInfoReadsPidStatusEffectiveUidAndStartTime()
    {
        // <sys/proc_info.h>: flags @0, status @4, xstatus @8, pid @12, ppid @16, uid @20, gid @24, ruid @28 …,
        // comm[16] @48, name[32] @64, … nice @116, start_tvsec @120, start_tvusec @128.
        var bytes = new Bytes(136)
            .U32(4, 3).U32(12, 4242).U32(16, 1).U32(20, 501).U32(28, 0)
            .Text(48, "Google Chrome H").Text(64, "Google Chrome Helper (Renderer)")
            .U64(120, 1_700_000_000).U64(128, 250_000);

        var bsd = MacStructs.ParseBsdInfo(bytes.Data);

        Assert.Equal(new ProcBsdInfo(Pid: 4242, Status: 3, EffectiveUid: 501, StartMicroseconds: 1_700_000_000_250_000), bsd);
        Assert.Equal("Google Chrome Helper (Renderer)", Encoding.UTF8.GetString(MacStructs.BsdInfoName(bytes.Data)));
    }

    [Fact]
    public void BsdInfoNameFallsBackToCommWhenNoNameIsRegistered()
    {
        var bytes = new Bytes(136).Text(48, "launchd");

        Assert.Equal("launchd", Encoding.UTF8.GetString(MacStructs.BsdInfoName(bytes.Data)));
    }

    [Fact]
    public void BsdInfoNameOfSixteenCharactersHasNoTerminatorAndIsStillBounded()
    {
        // pbi_comm is exactly MAXCOMLEN bytes; a 16-char name fills it with no NUL before pbi_name begins.
        var bytes = new Bytes(136).Text(48, "abcdefghijklmnop");

        Assert.Equal("abcdefghijklmnop", Encoding.UTF8.GetString(MacStructs.BsdInfoName(bytes.Data)));
    }

    [Fact]
    public void ParseTaskAllInfoIsBsdInfoThenTaskInfo()
    {
        var bytes = new Bytes(232).U32(12, 77).U64(136 + 8, 4096).I32(136 + 84, 3);

        Assert.Equal(77, MacStructs.ParseBsdInfo(bytes.Data).Pid);
        var task = MacStructs.ParseTaskInfo(bytes.Data.AsSpan(MacStructs.ProcBsdInfoSize));
        Assert.Equal(4096UL, task.ResidentBytes);
        Assert.Equal(3U, task.Threads);
    }

    [Fact]
    public void ParseStatfsReadsSizesFlagsAndNamesOfThe64BitInodeLayout()
    {
        // <sys/mount.h> __DARWIN_STRUCT_STATFS64: bsize @0, iosize @4, blocks @8, bfree @16, bavail @24, files @32,
        // ffree @40, fsid @48, owner @56, type @60, flags @64, fssubtype @68, fstypename[16] @72,
        // mntonname[1024] @88, mntfromname[1024] @1112, flags_ext @2136, reserved[7] @2140; 2168 bytes.
        var bytes = new Bytes(2168)
            .U32(0, 4096).I32(4, 1 << 20).U64(8, 120_000_000).U64(16, 90_000_000).U64(24, 60_000_000)
            .U64(32, 5).U64(40, 4).U32(56, 0).U32(60, 26).U32(64, 0x4000 | 0x1000 | 0x1).U32(68, 1)
            .Text(72, "apfs").Text(88, "/").Text(1112, "/dev/disk3s1s1").U32(2136, 1);

        var fs = MacStructs.ParseStatfs(bytes.Data);

        Assert.Equal(4096U, fs.BlockSizeBytes);
        Assert.Equal(120_000_000UL, fs.Blocks);
        Assert.Equal(90_000_000UL, fs.FreeBlocks);
        Assert.Equal(60_000_000UL, fs.AvailableBlocks);
        Assert.Equal(0x5001U, fs.Flags);
        Assert.Equal(1U, fs.FlagsExt);
        Assert.Equal("apfs", fs.FsType);
        Assert.Equal("/", fs.MountPoint);
        Assert.Equal("/dev/disk3s1s1", fs.Device);
        Assert.Equal(120_000_000UL * 4096, fs.TotalBytes);
        Assert.Equal(60_000_000UL * 4096, fs.AvailableBytes);
    }

    [Fact]
    public void ParseStatfsReadsAMountPointWithSpacesAndNonAsciiCharacters()
    {
        var bytes = new Bytes(2168).U32(0, 512).Text(72, "exfat").Text(88, "/Volumes/Über Disk").Text(1112, "/dev/disk5s1");

        Assert.Equal("/Volumes/Über Disk", MacStructs.ParseStatfs(bytes.Data).MountPoint);
    }

    [Fact]
    public void ParseInterfaceListReadsEveryIfInfo2MessageAndSkipsAddressMessages()
    {
        var buffer = Concat(
            IfInfo2(index: 1, flags: 0x8049, name: "lo0", ibytes: 10, obytes: 10),
            AddressMessage(20),
            IfInfo2(index: 4, flags: 0x8863, name: "en0", ibytes: 5_000_000_000, obytes: 7, ipackets: 11, ierrors: 2,
                opackets: 13, oerrors: 3, iqdrops: 4, sndDrops: 6),
            AddressMessage(28));
        var interfaces = new List<MacInterfaceCounters>();

        MacStructs.ParseInterfaceList(buffer, interfaces);

        Assert.Equal(["lo0", "en0"], interfaces.Select(i => MacStructs.InterfaceName(buffer, i)));
        var en0 = interfaces[1];
        Assert.Equal((ushort)4, en0.Index);
        Assert.Equal(0x8863, en0.Flags);
        Assert.Equal(5_000_000_000UL, en0.RxBytes);
        Assert.Equal(11UL, en0.RxPackets);
        Assert.Equal(2UL, en0.RxErrors);
        Assert.Equal(4UL, en0.RxDrops);
        Assert.Equal(7UL, en0.TxBytes);
        Assert.Equal(13UL, en0.TxPackets);
        Assert.Equal(3UL, en0.TxErrors);
        Assert.Equal(6UL, en0.TxDrops);
    }

    [Fact]
    public void ParseInterfaceListStopsAtAZeroOrOverlongMessageLength()
    {
        var good = IfInfo2(index: 2, flags: 0, name: "en1", ibytes: 1, obytes: 1);
        var zeroLength = new byte[8];
        var overlong = new Bytes(8).U16(0, 4000).Data;
        var interfaces = new List<MacInterfaceCounters>();

        MacStructs.ParseInterfaceList(Concat(good, zeroLength, good), interfaces);
        Assert.Single(interfaces);

        MacStructs.ParseInterfaceList(Concat(good, overlong), interfaces);
        Assert.Single(interfaces);
    }

    [Fact]
    public void AnInterfaceWithoutALinkAddressIsNamedAfterItsIndex()
    {
        var message = IfInfo2(index: 9, flags: 0, name: null, ibytes: 1, obytes: 1);
        var interfaces = new List<MacInterfaceCounters>();

        MacStructs.ParseInterfaceList(message, interfaces);

        Assert.Equal("if9", MacStructs.InterfaceName(message, Assert.Single(interfaces)));
    }

    [Fact]
    public void ProcArgs2ArgumentsSkipsArgcThePathAndItsPaddingAndStopsBeforeTheEnvironment()
    {
        var buffer = ProcArgs2(3, "/usr/bin/python3", padding: 5, "python3", "-m", "http.server", "PATH=/usr/bin", "HOME=/var/root");

        var arguments = MacStructs.ProcArgs2Arguments(buffer);

        Assert.Equal("python3\0-m\0http.server\0", Encoding.UTF8.GetString(arguments));
        Assert.Equal("/usr/bin/python3", Encoding.UTF8.GetString(MacStructs.ProcArgs2ExecutablePath(buffer)));
        Assert.Equal("python3 -m http.server", SysMon.Agent.Collectors.ProcessCollector.FormatCommandLine(arguments, "python3"));
    }

    [Fact]
    public void ProcArgs2ArgumentsIsEmptyForZeroArgcOrATruncatedBuffer()
    {
        Assert.True(MacStructs.ProcArgs2Arguments(ProcArgs2(0, "/sbin/launchd", padding: 3)).IsEmpty);
        Assert.True(MacStructs.ProcArgs2Arguments(new byte[3]).IsEmpty);
        Assert.True(MacStructs.ProcArgs2Arguments(new Bytes(12).I32(0, 2).Text(4, "/bin/sh!").Data).IsEmpty);
    }

    [Fact]
    public void ProcArgs2ArgumentsKeepsWhatThereIsWhenArgcOverstatesTheBuffer()
    {
        var buffer = ProcArgs2(5, "/bin/zsh", padding: 0, "-zsh");

        Assert.Equal("-zsh\0", Encoding.UTF8.GetString(MacStructs.ProcArgs2Arguments(buffer)));
    }

    [Fact]
    public void ParseTimevalSecondsReadsSecondsAndMicroseconds()
    {
        // 64-bit struct timeval: tv_sec (8) @0, tv_usec (4) @8, padding.
        var bytes = new Bytes(16).U64(0, 1_714_000_000).I32(8, 500_000);

        Assert.Equal(1_714_000_000.5, MacStructs.ParseTimevalSeconds(bytes.Data));
    }

    [Fact]
    public void ParseSysctlIntegerReadsFourAndEightByteValues()
    {
        Assert.Equal(10UL, MacStructs.ParseSysctlInteger(new Bytes(4).I32(0, 10).Data));
        Assert.Equal(68_719_476_736UL, MacStructs.ParseSysctlInteger(new Bytes(8).U64(0, 68_719_476_736).Data));
        Assert.Throws<FormatException>(() => MacStructs.ParseSysctlInteger(new byte[2]));
    }

    [Fact]
    public void ParseSysctlStringStopsAtTheTerminator()
    {
        Assert.Equal("14.4.1", MacStructs.ParseSysctlString("14.4.1\0\0garbage"u8));
        Assert.Equal("Apple M2 Pro", MacStructs.ParseSysctlString("Apple M2 Pro"u8));
    }

    [Fact]
    public void FormatHostUuidKeepsByteOrderLikeUuidUnparseUpper()
    {
        byte[] uuid = [0xE6, 0x46, 0xF3, 0x3F, 0x0C, 0x8D, 0x4A, 0x11, 0x9B, 0x22, 0x8B, 0xB6, 0x2B, 0x8C, 0x33, 0xCD];

        Assert.Equal("E646F33F-0C8D-4A11-9B22-8BB62B8C33CD", MacStructs.FormatHostUuid(uuid));
        Assert.Null(MacStructs.FormatHostUuid(new byte[16]));
        Assert.Null(MacStructs.FormatHostUuid(new byte[8]));
    }

    /// <summary>
    /// An RTM_IFINFO2 message: if_msghdr2 (<net/if.h>: msglen @0, version @2, type @3, addrs @4, flags @8, index @12,
    /// snd_len @16, snd_maxlen @20, snd_drops @24, timer @28, if_data64 @32) then, with RTA_IFP, a sockaddr_dl
    /// (<net/if_dl.h>: len @0, family @1, index @2, type @4, nlen @5, alen @6, slen @7, data @8) at 160.
    /// if_data64 (<net/if_var.h>, pack(4)): ipackets @24, ierrors @32, opackets @40, oerrors @48, ibytes @64,
    /// obytes @72, iqdrops @96.
    /// </summary>
    private static byte[] IfInfo2(ushort index, int flags, string? name, ulong ibytes, ulong obytes, ulong ipackets = 0,
        ulong ierrors = 0, ulong opackets = 0, ulong oerrors = 0, ulong iqdrops = 0, int sndDrops = 0)
    {
        var sockaddrLength = name is null ? 0 : (8 + name.Length + 6 + 3) & ~3; // name then a 6-byte MAC
        var bytes = new Bytes(160 + sockaddrLength)
            .U16(0, (ushort)(160 + sockaddrLength)).Raw(2, 5, 0x12).I32(4, name is null ? 0 : 0x10).I32(8, flags)
            .U16(12, index).I32(24, sndDrops)
            .U64(32 + 24, ipackets).U64(32 + 32, ierrors).U64(32 + 40, opackets).U64(32 + 48, oerrors)
            .U64(32 + 56, 999).U64(32 + 64, ibytes).U64(32 + 72, obytes).U64(32 + 96, iqdrops);
        if (name is not null)
        {
            bytes.Raw(160, (byte)(8 + name.Length + 6), 18).U16(162, index).Raw(164, 6, (byte)name.Length, 6, 0)
                .Text(168, name).Raw(168 + name.Length, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF);
        }

        return bytes.Data;
    }

    /// <summary>An RTM_NEWADDR (0xc) message, which the walk must step over by its length.</summary>
    private static byte[] AddressMessage(int length) => new Bytes(length).U16(0, (ushort)length).Raw(2, 5, 0x0c).Data;

    private static byte[] ProcArgs2(int argc, string path, int padding, params string[] strings)
    {
        var text = new StringBuilder(path).Append('\0').Append('\0', padding);
        foreach (var s in strings)
        {
            text.Append(s).Append('\0');
        }

        var body = Encoding.UTF8.GetBytes(text.ToString());
        return [.. new Bytes(4).I32(0, argc).Data, .. body];
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
