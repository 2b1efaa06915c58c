using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class DiskIoCollectorTests
{
    [Fact]
    public void ParseDiskstatsReadsCountersOfEveryLine()
    {
        var disks = DiskIoCollector.ParseDiskstats(Fixtures.Read(Fixtures.T0, "diskstats"));

        Assert.Equal(["loop0", "vda", "vda1", "sdb", "zram0"], disks.Select(d => d.Name));
        Assert.Equal(new DiskCounters("vda", 29712, 2065634, 7750, 2141352, 8100), disks[1]);
    }

    [Fact]
    public void CollectReportsExactRatesForWholeDevicesOnly()
    {
        var sample = Fixtures.CollectT0ThenT1(p => new DiskIoCollector(p), (c, p) => c.Paths = p);

        // loop0 and zram0 are ignored by name, vda1 is a partition (no /sys/block/vda1).
        Assert.Equal(["vda", "sdb"], sample.Disks.Select(d => d.Device));
        var vda = sample.Disks[0];
        // Over 2 s: 100 reads of 2048 sectors, 50 writes of 4096 sectors, 500 ms of I/O.
        Assert.Equal(2048 * 512 / 2.0, vda.ReadBytesPerSecond, 9);
        Assert.Equal(4096 * 512 / 2.0, vda.WriteBytesPerSecond, 9);
        Assert.Equal(50, vda.ReadsPerSecond, 9);
        Assert.Equal(25, vda.WritesPerSecond, 9);
        Assert.Equal(25, vda.BusyPercent, 9);
    }

    [Fact]
    public void ADeviceWhoseCountersWentBackwardsReportsZeroNotHugeRates()
    {
        var sample = Fixtures.CollectT0ThenT1(p => new DiskIoCollector(p), (c, p) => c.Paths = p);

        var sdb = Assert.Single(sample.Disks, d => d.Device == "sdb");
        Assert.Equal(0, sdb.ReadBytesPerSecond);
        Assert.Equal(0, sdb.WriteBytesPerSecond);
        Assert.Equal(0, sdb.ReadsPerSecond);
        Assert.Equal(0, sdb.WritesPerSecond);
        Assert.Equal(0, sdb.BusyPercent);
    }

    [Fact]
    public void BusyPercentIsCappedAtOneHundred()
    {
        var before = new DiskCounters("vda", 0, 0, 0, 0, 0);
        var after = before with { IoTicksMs = 1010 };

        Assert.Equal(100, DiskIoCollector.ComputeRates(before, after, 1.0).BusyPercent);
    }

    [Fact]
    public void TheFirstCollectionReportsNoDevices()
    {
        var sample = new Sample();
        new DiskIoCollector(Fixtures.T0).Collect(sample, new CollectContext(0, 10));

        Assert.Empty(sample.Disks);
    }

    [Theory]
    [InlineData("nvme0n1", true)]
    [InlineData("sda", true)]
    [InlineData("dm-0", true)]
    [InlineData("mmcblk0", true)]
    [InlineData("loop3", false)]
    [InlineData("zram0", false)]
    [InlineData("ram0", false)]
    [InlineData("sr0", false)]
    public void IsReportableNameSkipsVirtualAndOpticalDevices(string name, bool expected)
    {
        Assert.Equal(expected, DiskIoCollector.IsReportableName(name));
    }

    [Fact]
    public async Task CollectOnThisMachineGivesNonNegativeRates()
    {
        var sample = await Live.CollectOverWindowAsync(new DiskIoCollector(Live.Paths));

        Assert.All(sample.Disks, d =>
        {
            Assert.True(d.ReadBytesPerSecond >= 0 && d.WriteBytesPerSecond >= 0);
            Assert.True(d.ReadsPerSecond >= 0 && d.WritesPerSecond >= 0);
            Assert.InRange(d.BusyPercent, 0, 100);
            Assert.DoesNotContain("loop", d.Device, StringComparison.Ordinal);
        });
    }
}
