using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class MemoryCollectorTests
{
    [Fact]
    public void CollectDerivesUsedAndCachedLikeFree()
    {
        var sample = new Sample();
        new MemoryCollector(Fixtures.T0).Collect(sample, new CollectContext(0, 10));

        var memory = sample.Memory;
        Assert.Equal(24683620UL * 1024, memory.TotalBytes);
        Assert.Equal(22939272UL * 1024, memory.FreeBytes);
        Assert.Equal(24273400UL * 1024, memory.AvailableBytes);
        Assert.Equal(9944UL * 1024, memory.BuffersBytes);
        // Cached 1490832 kB + SReclaimable 108228 kB.
        Assert.Equal(1599060UL * 1024, memory.CachedBytes);
        // 24683620 − 22939272 − 9944 − 1599060 kB.
        Assert.Equal(135344UL * 1024, memory.UsedBytes);
        Assert.Equal(0UL, memory.SwapTotalBytes);
        Assert.Equal(0UL, memory.SwapUsedBytes);
    }

    [Fact]
    public void ParseMeminfoComputesSwapUsed()
    {
        var info = MemoryCollector.ParseMeminfo("MemTotal: 1000 kB\nSwapTotal:  2048 kB\nSwapFree:   512 kB\nHugePages_Total: 7\n");

        Assert.Equal(1536UL * 1024, MemoryCollector.ToSample(info).SwapUsedBytes);
    }

    [Fact]
    public void UsedNeverUnderflowsWhenFieldsAddUpPastTheTotal()
    {
        var memory = MemoryCollector.ToSample(new MemInfo(100, 60, 0, 30, 20, 10, 0, 0));

        Assert.Equal(0UL, memory.UsedBytes);
    }

    [Fact]
    public void CollectOnThisMachineGivesAPositiveTotal()
    {
        var sample = new Sample();
        new MemoryCollector(Live.Paths).Collect(sample, new CollectContext(0, 10));

        Assert.True(sample.Memory.TotalBytes > 0);
        Assert.InRange(sample.Memory.UsedBytes, 1UL, sample.Memory.TotalBytes);
        Assert.InRange(sample.Memory.AvailableBytes, 1UL, sample.Memory.TotalBytes);
    }
}
