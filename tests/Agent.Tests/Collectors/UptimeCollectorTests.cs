using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class UptimeCollectorTests
{
    [Fact]
    public void ParseUptimeReadsTheFirstNumber()
    {
        Assert.Equal(678.87, UptimeCollector.ParseUptime(Fixtures.Read(Fixtures.T0, "uptime")));
    }

    [Fact]
    public void ParseUptimeOfEmptyTextIsZero()
    {
        Assert.Equal(0, UptimeCollector.ParseUptime(""));
    }

    [Fact]
    public void CollectOnThisMachineGivesAPositiveUptime()
    {
        var sample = new Sample();
        new UptimeCollector(Live.Paths).Collect(sample, new CollectContext(0, 10));

        Assert.True(sample.UptimeSeconds > 0);
    }
}
