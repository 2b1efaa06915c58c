using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class CpuCollectorTests
{
    [Fact]
    public void SaturatedCpuIsAtMostOneHundredPercentDespiteRounding()
    {
        // Busy ticks only: 1/3-style scale factors used to round to 100.00000000000001.
        var before = new CpuTicks(0, 0, 0, 0, 0, 0, 0, 0);
        for (ulong user = 1; user < 500; user += 7)
        {
            var after = new CpuTicks(user, 0, user * 2 + 1, 0, 0, 0, 0, 0);
            Assert.InRange(CpuCollector.ComputePercentages(before, after).Busy, 99.999, 100.0);
        }
    }

    [Fact]
    public void ParseProcStatReadsTotalPerCoreTicksAndBootTime()
    {
        var stat = CpuCollector.ParseProcStat(Fixtures.Read(Fixtures.T0, "stat"));

        Assert.Equal(new CpuTicks(29779, 0, 11404, 93220, 691, 0, 428, 0), stat.Total);
        Assert.Equal(2, stat.Cores.Length);
        Assert.Equal(new CpuTicks(13556, 0, 5094, 48839, 87, 0, 201, 0), stat.Cores[0]);
        Assert.Equal(new CpuTicks(16223, 0, 6310, 44380, 603, 0, 226, 0), stat.Cores[1]);
        Assert.Equal(1795623300, stat.BootTimeUnixSeconds);
    }

    [Fact]
    public void ParseProcStatKeepsCoreIndexesWhenACoreIsOffline()
    {
        var stat = CpuCollector.ParseProcStat("cpu  4 0 0 4 0\ncpu0 2 0 0 2 0\ncpu2 2 0 0 2 0\n");

        Assert.Equal(3, stat.Cores.Length);
        Assert.NotNull(stat.Cores[0]);
        Assert.Null(stat.Cores[1]);
        Assert.NotNull(stat.Cores[2]);
    }

    [Fact]
    public void ParseProcStatReadsOldKernelsWithFewerColumnsAsZero()
    {
        var stat = CpuCollector.ParseProcStat("cpu  10 1 5 100\n");

        Assert.Equal(new CpuTicks(10, 1, 5, 100, 0, 0, 0, 0), stat.Total);
    }

    [Fact]
    public void CollectComputesExactPercentagesBetweenSnapshots()
    {
        var sample = Fixtures.CollectT0ThenT1(p => new CpuCollector(p), (c, p) => c.Paths = p);

        // t1 − t0 over all cores: user 150 + nice 10, system 70 + irq 5 + softirq 5, idle 140, iowait 10, steal 10.
        var cpu = sample.Cpu;
        Assert.Equal(62.5, cpu.TotalPercent, 9);
        Assert.Equal(40, cpu.UserPercent, 9);
        Assert.Equal(20, cpu.SystemPercent, 9);
        Assert.Equal(2.5, cpu.IowaitPercent, 9);
        Assert.Equal(2.5, cpu.StealPercent, 9);
        Assert.Equal(35, cpu.IdlePercent, 9);
        // cpu0: 90 busy of 200 ticks; cpu1: 160 busy (steal included) of 200.
        Assert.Equal([45.0, 80.0], cpu.CorePercent.Select(p => Math.Round(p, 9)));
    }

    [Fact]
    public void CollectReadsFrequencyFromCpufreqInMegahertz()
    {
        var sample = Fixtures.CollectT0ThenT1(p => new CpuCollector(p), (c, p) => c.Paths = p);

        Assert.Equal([2800.0, 1400.0], sample.Cpu.CoreFrequencyMhz);
        Assert.Equal(2100, sample.Cpu.FrequencyAvgMhz, 9);
        Assert.Equal(1400, sample.Cpu.FrequencyMinMhz, 9);
        Assert.Equal(2800, sample.Cpu.FrequencyMaxMhz, 9);
    }

    [Fact]
    public void CollectFallsBackToCpuinfoMegahertzWithoutCpufreq()
    {
        var sample = new Sample();
        new CpuCollector(Fixtures.T0).Collect(sample, new CollectContext(0, 10));

        Assert.Equal([2096.005, 2096.005], sample.Cpu.CoreFrequencyMhz);
    }

    [Fact]
    public void CollectReadsLoadAverages()
    {
        var sample = new Sample();
        new CpuCollector(Fixtures.T0).Collect(sample, new CollectContext(0, 10));

        Assert.Equal(1.26, sample.Cpu.Load1M);
        Assert.Equal(1.15, sample.Cpu.Load5M);
        Assert.Equal(0.63, sample.Cpu.Load15M);
    }

    [Fact]
    public void TheFirstCollectionReportsNoUtilisationRatherThanSinceBoot()
    {
        var sample = new Sample();
        new CpuCollector(Fixtures.T0).Collect(sample, new CollectContext(0, 10));

        Assert.Equal(0, sample.Cpu.TotalPercent);
        Assert.Empty(sample.Cpu.CorePercent);
    }

    [Fact]
    public void ComputePercentagesTreatsACounterThatWentBackwardsAsZero()
    {
        var before = new CpuTicks(User: 100, Nice: 0, System: 100, Idle: 1000, IoWait: 50, Irq: 0, SoftIrq: 0, Steal: 0);
        // iowait went backwards (it does on NO_HZ kernels); user advanced 100, idle 100.
        var after = before with { User = 200, Idle = 1100, IoWait = 10 };

        var percentages = CpuCollector.ComputePercentages(before, after);

        Assert.Equal(50, percentages.Busy, 9);
        Assert.Equal(0, percentages.IoWait);
        Assert.Equal(50, percentages.Idle, 9);
    }

    [Fact]
    public void ComputePercentagesOfAnIdenticalReadingIsAllZero()
    {
        var ticks = new CpuTicks(1, 2, 3, 4, 5, 6, 7, 8);

        Assert.Equal(default, CpuCollector.ComputePercentages(ticks, ticks));
    }

    [Fact]
    public void CollectThrowsWhenProcStatIsMissing()
    {
        Assert.ThrowsAny<IOException>(() => new CpuCollector(Fixtures.Missing).Collect(new Sample(), new CollectContext(0, 10)));
    }

    [Fact]
    public async Task CollectOnThisMachineGivesPercentagesInRange()
    {
        var sample = await Live.CollectOverWindowAsync(new CpuCollector(Live.Paths));

        var cpu = sample.Cpu;
        Assert.InRange(cpu.TotalPercent, 0, 100);
        Assert.Equal(Environment.ProcessorCount, cpu.CorePercent.Count);
        Assert.All(cpu.CorePercent, p => Assert.InRange(p, 0, 100));
        Assert.InRange(cpu.UserPercent + cpu.SystemPercent + cpu.IowaitPercent + cpu.StealPercent + cpu.IdlePercent, 0, 100.000001);
        Assert.True(cpu.Load1M >= 0);
    }
}
