using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class NetworkCollectorTests
{
    [Fact]
    public void ParseNetDevSkipsHeadersAndReadsCounters()
    {
        var interfaces = NetworkCollector.ParseNetDev(Fixtures.Read(Fixtures.T0, "net/dev"));

        Assert.Equal(["lo", "eth0", "eth1", "wlan0"], interfaces.Select(i => i.Name));
        Assert.Equal(new NetDevCounters("eth0", 259242138, 9131, 0, 0, 433800, 5537, 0, 0), interfaces[1]);
    }

    [Fact]
    public void ParseNetDevReadsBytesGluedToTheColon()
    {
        var interfaces = NetworkCollector.ParseNetDev(Fixtures.Read(Fixtures.T0, "net/dev"));

        Assert.Equal(new NetDevCounters("eth1", 4294967000, 100, 1, 2, 5000, 50, 3, 4), interfaces[2]);
    }

    [Fact]
    public void CollectReportsExactRatesAndTotalsExceptLoopback()
    {
        var sample = Fixtures.CollectT0ThenT1(p => new NetworkCollector(p), (c, p) => c.Paths = p);

        Assert.Equal(["eth0", "eth1", "wlan0"], sample.NetworkInterfaces.Select(i => i.Name));
        var eth0 = sample.NetworkInterfaces[0];
        // Over 2 s: rx +2 000 000 bytes, +2000 packets, +4 errors, +6 drops; tx +1 000 000 bytes, +800 packets, +2 errors.
        Assert.Equal(1_000_000, eth0.RxBytesPerSecond, 9);
        Assert.Equal(1000, eth0.RxPacketsPerSecond, 9);
        Assert.Equal(2, eth0.RxErrorsPerSecond, 9);
        Assert.Equal(3, eth0.RxDropsPerSecond, 9);
        Assert.Equal(500_000, eth0.TxBytesPerSecond, 9);
        Assert.Equal(400, eth0.TxPacketsPerSecond, 9);
        Assert.Equal(1, eth0.TxErrorsPerSecond, 9);
        Assert.Equal(0, eth0.TxDropsPerSecond);
        Assert.Equal(4UL, eth0.RxErrorsTotal);
        Assert.Equal(6UL, eth0.RxDropsTotal);
        Assert.Equal(2UL, eth0.TxErrorsTotal);
        Assert.Equal(0UL, eth0.TxDropsTotal);
        Assert.Equal(500, sample.NetworkInterfaces[1].RxBytesPerSecond, 9);
    }

    [Fact]
    public void AnInterfaceWhoseCountersWentBackwardsReportsZeroRates()
    {
        var sample = Fixtures.CollectT0ThenT1(p => new NetworkCollector(p), (c, p) => c.Paths = p);

        var wlan0 = Assert.Single(sample.NetworkInterfaces, i => i.Name == "wlan0");
        Assert.Equal(0, wlan0.RxBytesPerSecond);
        Assert.Equal(0, wlan0.TxBytesPerSecond);
        Assert.Equal(0, wlan0.RxPacketsPerSecond);
        Assert.Equal(0, wlan0.RxErrorsPerSecond);
    }

    [Fact]
    public async Task CollectOnThisMachineGivesNonNegativeRates()
    {
        var sample = await Live.CollectOverWindowAsync(new NetworkCollector(Live.Paths));

        Assert.DoesNotContain(sample.NetworkInterfaces, i => i.Name == "lo");
        Assert.All(sample.NetworkInterfaces, i =>
        {
            Assert.True(i.RxBytesPerSecond >= 0 && i.TxBytesPerSecond >= 0);
            Assert.True(i.RxPacketsPerSecond >= 0 && i.TxPacketsPerSecond >= 0);
        });
    }
}
