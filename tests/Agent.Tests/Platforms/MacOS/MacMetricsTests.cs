using SysMon.Agent.Platforms.MacOS;

namespace SysMon.Agent.Tests.Platforms.MacOS;

public class MacMetricsTests
{
    private static readonly MachTimebase s_appleSilicon = new(125, 3);

    [Fact]
    public void ComputePercentagesSplitsTickDeltasWithNiceCountedAsUser()
    {
        var before = new MacCpuTicks(User: 1000, System: 500, Idle: 8000, Nice: 10);
        var after = new MacCpuTicks(User: 1050, System: 520, Idle: 8120, Nice: 20);

        var shares = MacMetrics.ComputePercentages(before, after);

        // Over 200 ticks: user 50 + nice 10 = 30 %, system 20 = 10 %, idle 120 = 60 %.
        Assert.Equal(40, shares.Busy, 9);
        Assert.Equal(30, shares.User, 9);
        Assert.Equal(10, shares.System, 9);
        Assert.Equal(60, shares.Idle, 9);
        Assert.Equal(0, shares.IoWait);
        Assert.Equal(0, shares.Steal);
    }

    [Fact]
    public void ATickCounterThatWentBackwardsCountsAsZero()
    {
        // The 32-bit per-core counters wrap: the wrapped counter contributes nothing for that one sample.
        var before = new MacCpuTicks(User: uint.MaxValue - 5, System: 100, Idle: 100, Nice: 0);
        var after = new MacCpuTicks(User: 20, System: 150, Idle: 150, Nice: 0);

        var shares = MacMetrics.ComputePercentages(before, after);

        Assert.Equal(50, shares.System, 9);
        Assert.Equal(50, shares.Idle, 9);
        Assert.Equal(0, shares.User);
    }

    [Fact]
    public void NoTicksMeansNoPercentages()
    {
        var ticks = new MacCpuTicks(1, 2, 3, 4);

        Assert.Equal(default, MacMetrics.ComputePercentages(ticks, ticks));
    }

    [Fact]
    public void MachTimeOnAppleSiliconIsNotNanoseconds()
    {
        // 24 MHz timebase: numer 125, denom 3, so 24 000 000 units are one second.
        Assert.Equal(1.0, MacMetrics.MachTimeToSeconds(24_000_000, s_appleSilicon), 12);
        Assert.Equal(1.0, MacMetrics.MachTimeToSeconds(1_000_000_000, MachTimebase.Nanoseconds), 12);
    }

    [Fact]
    public void MachTimeConversionDoesNotOverflowForLongRunningProcesses()
    {
        // A year of CPU time in 24 MHz units times numer 125 overflows 64 bits if multiplied in integers first.
        const ulong year = 365UL * 24 * 3600;

        Assert.Equal(year, MacMetrics.MachTimeToSeconds(year * 24_000_000, s_appleSilicon), 3);
        Assert.Equal(0, MacMetrics.MachTimeToSeconds(1000, new MachTimebase(1, 0)));
    }

    [Fact]
    public void ProcessCpuPercentIsOfOneCoreOverTheWindow()
    {
        // 3 s of CPU (72 000 000 units) in a 2 s window: 150 % of one core, like top.
        Assert.Equal(150, MacMetrics.ProcessCpuPercent(72_000_000, s_appleSilicon, 2), 9);
        Assert.Equal(0, MacMetrics.ProcessCpuPercent(72_000_000, s_appleSilicon, 0));
    }

    [Fact]
    public void MemoryMapsLikeActivityMonitor()
    {
        const ulong page = 16384;
        const ulong total = 16UL << 30; // 1 048 576 pages
        var vm = new VmStatistics64(
            FreePages: 60_000, ActivePages: 300_000, InactivePages: 280_000, WiredPages: 150_000, PurgeablePages: 10_000,
            SpeculativePages: 20_000, CompressorPages: 50_000, ExternalPages: 250_000, InternalPages: 410_000);
        var swap = new XswUsage(TotalBytes: 2UL << 30, AvailableBytes: 1UL << 30, UsedBytes: 1UL << 30);

        var memory = MacMetrics.ToMemorySample(total, vm, page, swap);

        // App memory 410 000 − 10 000 purgeable; + wired 150 000 + compressed 50 000 = 600 000 pages used.
        Assert.Equal(total, memory.TotalBytes);
        Assert.Equal(600_000 * page, memory.UsedBytes);
        Assert.Equal(total - (600_000 * page), memory.AvailableBytes);
        Assert.Equal(40_000 * page, memory.FreeBytes);      // free_count includes the 20 000 speculative pages
        Assert.Equal(260_000 * page, memory.CachedBytes);   // external 250 000 + purgeable 10 000
        Assert.Equal(0UL, memory.BuffersBytes);
        Assert.Equal(2UL << 30, memory.SwapTotalBytes);
        Assert.Equal(1UL << 30, memory.SwapUsedBytes);
    }

    [Fact]
    public void MemoryUsedNeverExceedsTotalAndCountsNeverGoNegative()
    {
        // Counts are read at slightly different moments; speculative may exceed free, purgeable exceed internal.
        var vm = new VmStatistics64(FreePages: 10, ActivePages: 0, InactivePages: 0, WiredPages: 900, PurgeablePages: 500,
            SpeculativePages: 20, CompressorPages: 300, ExternalPages: 0, InternalPages: 100);

        var memory = MacMetrics.ToMemorySample(1000 * 4096UL, vm, 4096, default);

        Assert.Equal(1000 * 4096UL, memory.UsedBytes);
        Assert.Equal(0UL, memory.AvailableBytes);
        Assert.Equal(0UL, memory.FreeBytes);
    }

    [Theory]
    [InlineData("/", "apfs", 0x40000000 | 0x4000 | 0x1000 | 0x1, true)]          // sealed system snapshot root
    [InlineData("/System/Volumes/Data", "apfs", 0x00100000 | 0x1000, false)]    // nobrowse: same space as /
    [InlineData("/System/Volumes/VM", "apfs", 0x00100000 | 0x1000, false)]
    [InlineData("/Volumes/Backup", "hfs", 0x1000 | 0x00800000, true)]           // an external disk
    [InlineData("/Volumes/Installer", "hfs", 0x1000 | 0x1, false)]              // a read-only disk image
    [InlineData("/Volumes/com.apple.TimeMachine.localsnapshots/x", "apfs", 0x1000 | 0x40000000, false)]
    [InlineData("/dev", "devfs", 0x1000, false)]
    [InlineData("/System/Volumes/Data/home", "autofs", 0x1000, false)]
    [InlineData("/Volumes/share", "smbfs", 0x0, false)]                          // not local
    public void IsReportedFilesystemKeepsRootAndUserVolumesOnly(string mountPoint, string fsType, int flags, bool reported)
    {
        var fs = new MacStatfs(4096, 100, 50, 40, (uint)flags, 0, fsType, mountPoint, "/dev/disk1s1");

        Assert.Equal(reported, MacMetrics.IsReportedFilesystem(fs));
    }

    [Theory]
    [InlineData(1u, "I")]
    [InlineData(2u, "R")]
    [InlineData(3u, "S")]
    [InlineData(4u, "T")]
    [InlineData(5u, "Z")]
    [InlineData(42u, "?")]
    public void StateLetterFollowsPs(uint status, string letter)
    {
        Assert.Equal(letter, MacMetrics.StateLetter(status));
    }
}
