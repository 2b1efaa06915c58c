using SysMon.Agent.Collectors;

namespace SysMon.Agent.Tests.Collectors;

public class NameCacheTests
{
    [Fact]
    public void TheSameCharactersGiveTheSameString()
    {
        var names = new NameCache();
        var first = names.Get("eth0 rest".AsSpan(0, 4));
        var second = names.Get("xeth0".AsSpan(1));

        Assert.Equal("eth0", first);
        Assert.Same(first, second);
        Assert.Equal(1, names.Count);
    }

    [Fact]
    public void ChurnedNamesDoNotGrowItPastTheBound()
    {
        var names = new NameCache();
        for (var i = 0; i < NameCache.MaxNames * 3; i++)
        {
            names.Get($"veth{i}");
        }

        Assert.InRange(names.Count, 1, NameCache.MaxNames);
        Assert.Equal("veth7", names.Get("veth7"));
    }

    [Fact]
    public void ParsersReuseNamesAndTheListAcrossReadings()
    {
        var names = new NameCache();
        var parsed = new List<NetDevCounters>();
        var text = Fixtures.Read(Fixtures.T0, "net/dev");

        var first = NetworkCollector.ParseNetDev(text, parsed, names).Select(c => c.Name).ToList();
        parsed.Clear();
        var second = NetworkCollector.ParseNetDev(text, parsed, names).Select(c => c.Name).ToList();

        Assert.NotEmpty(first);
        Assert.All(first.Zip(second), pair => Assert.Same(pair.First, pair.Second));
        Assert.Equal(first.Count, parsed.Count);
    }
}
