using System.Text;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class ProcessCollectorTests
{
    // The fixtures are written in ticks of 100 per second, as on every mainstream Linux.
    private static ProcessCollector Create(HostPaths paths) => new(paths, clockTicksPerSecond: 100);

    private static Sample CollectFixtures(int topProcesses = 10) =>
        Fixtures.CollectT0ThenT1(Create, (c, p) => c.Paths = p, topProcesses,
            new Sample { Memory = new MemorySample { TotalBytes = 1UL << 30 } });

    [Fact]
    public void ParseStatTakesTheNameBetweenTheFirstOpenAndTheLastCloseParenthesis()
    {
        var stat = ProcessCollector.ParseStat(Fixtures.Read(Fixtures.T0, "4242/stat"));

        Assert.NotNull(stat);
        Assert.Equal("my (weird) proc", stat.Value.Name);
        Assert.Equal('R', stat.Value.State);
        Assert.Equal(1000UL, stat.Value.UserTicks);
        Assert.Equal(200UL, stat.Value.SystemTicks);
        Assert.Equal(3U, stat.Value.Threads);
        Assert.Equal(5000UL, stat.Value.StartTimeTicks);
        Assert.Equal(25600UL, stat.Value.ResidentPages);
    }

    [Fact]
    public void ParseStatIsNotFooledByANameThatLooksLikeFields()
    {
        var stat = ProcessCollector.ParseStat("9 (x) R 1 2 3) S 1 9 9 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 42 0 3 0");

        Assert.Equal("x) R 1 2 3", stat!.Value.Name);
        Assert.Equal('S', stat.Value.State);
        Assert.Equal(7UL, stat.Value.UserTicks);
        Assert.Equal(3UL, stat.Value.ResidentPages);
    }

    [Fact]
    public void ParseStatCapsLongNamesAndReplacesControlCharacters()
    {
        var stat = ProcessCollector.ParseStat("9 (" + new string('a', 100) + "\n\u0001) S 1 9 9 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 42 0 3 0");

        Assert.Equal(new string('a', 64), stat!.Value.Name);
        Assert.Equal("a?b", ProcessCollector.ParseStat("9 (a\u0007b) S 1")!.Value.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("12 no parentheses S 1 2")]
    [InlineData("x (name) S 1")]
    [InlineData("12 (name)")]
    public void ParseStatReturnsNullForMalformedInput(string text)
    {
        Assert.Null(ProcessCollector.ParseStat(text));
    }

    [Fact]
    public void ParseStatusReadsEffectiveUidAndThreads()
    {
        var status = ProcessCollector.ParseStatus("Name:\tx\nUid:\t1000\t0\t0\t0\nThreads:\t7\n");

        Assert.Equal(new ProcessStatus(0, 7), status);
    }

    [Fact]
    public void FormatCommandLineJoinsArgumentsWithSpacesAndTruncates()
    {
        Assert.Equal("python3 -m http.server", ProcessCollector.FormatCommandLine("python3\0-m\0http.server\0"u8, "python3"));
        Assert.Equal(256, ProcessCollector.FormatCommandLine(Encoding.UTF8.GetBytes(new string('x', 1000)), "x").Length);
    }

    [Fact]
    public void FormatCommandLineOfAKernelThreadIsItsNameInBrackets()
    {
        Assert.Equal("[kthreadd]", ProcessCollector.FormatCommandLine([], "kthreadd"));
    }

    [Fact]
    public void FormatCommandLineSurvivesInvalidUtf8AndNeverSplitsASurrogatePair()
    {
        Assert.Equal("a\uFFFD b", ProcessCollector.FormatCommandLine([(byte)'a', 0xFF, 0, (byte)'b'], "x"));
        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", 200));
        var formatted = ProcessCollector.FormatCommandLine(Encoding.UTF8.GetBytes(emoji), "x");
        Assert.False(char.IsHighSurrogate(formatted[^1]));
    }

    [Fact]
    public void CollectRanksProcessesByExactCpuPercentOfOneCore()
    {
        var sample = CollectFixtures();

        // 4242: +250 ticks in 2 s; 4300: new, 40 ticks; 5000: pid reused (new start time), 10 ticks; 1: +5 ticks.
        Assert.Equal([4242, 4300, 5000, 1, 2], sample.Processes.Select(p => p.Pid));
        Assert.Equal([125.0, 20.0, 5.0, 2.5, 0.0], sample.Processes.Select(p => Math.Round(p.CpuPercent, 9)));
    }

    [Fact]
    public void CollectFillsDetailsFromStatusCmdlineAndPasswd()
    {
        var sample = CollectFixtures();

        var weird = sample.Processes[0];
        Assert.Equal("my (weird) proc", weird.Name);
        Assert.Equal("alice", weird.User);
        Assert.Equal("R", weird.State);
        Assert.Equal(3U, weird.Threads);
        Assert.Equal("python3 -m http.server", weird.CommandLine);
        Assert.Equal(25600UL * (ulong)Environment.SystemPageSize, weird.ResidentBytes);
        Assert.Equal(weird.ResidentBytes * 100.0 / (1UL << 30), weird.MemoryPercent, 9);

        var reused = Assert.Single(sample.Processes, p => p.Pid == 5000);
        Assert.Equal("reused", reused.Name);
        Assert.Equal("4242", reused.User); // not in passwd
        Assert.Equal("[kthreadd]", Assert.Single(sample.Processes, p => p.Pid == 2).CommandLine);
    }

    [Fact]
    public void CollectSkipsProcessesThatVanishAndCountsTheRest()
    {
        var sample = CollectFixtures();

        // 77 exited before t1; 4400 lost its status file mid-read, so it is counted but not reported.
        Assert.DoesNotContain(sample.Processes, p => p.Pid is 77 or 4400);
        Assert.Equal(6U, sample.ProcessCount);
    }

    [Fact]
    public void CollectReportsOnlyTheTopN()
    {
        var sample = CollectFixtures(topProcesses: 2);

        Assert.Equal([4242, 4300], sample.Processes.Select(p => p.Pid));
    }

    [Fact]
    public void TheFirstCollectionCountsButReportsNoProcesses()
    {
        var sample = new Sample();
        Create(Fixtures.T0).Collect(sample, new CollectContext(0, 10));

        Assert.Empty(sample.Processes);
        Assert.Equal(5U, sample.ProcessCount);
    }

    [Fact]
    public void WatchedNamesAreCountedInConfiguredOrderWithZeroForNoneRunning()
    {
        var collector = Create(Fixtures.WatchedProcesses);
        collector.Watch(["nginx", "postgres"]);
        var sample = new Sample();

        collector.Collect(sample, new CollectContext(0, 10));

        // 101 and 102; not the zombie 103, not nginx-debug; "Postgres" is another name (comm is case-sensitive).
        Assert.Equal([("nginx", 2U), ("postgres", 0U)], sample.WatchedProcesses.Select(w => (w.Name, w.Count)));
    }

    [Fact]
    public void AWatchedNameLongerThanFifteenCharactersMatchesTheCommLinuxCutItTo()
    {
        var collector = Create(Fixtures.WatchedProcesses);
        collector.Watch(["gunicorn-worker-main", "gunicorn-worker", "gunicorn-worker-other"]);
        var sample = new Sample();

        collector.Collect(sample, new CollectContext(0, 10));

        // The comm "gunicorn-worker" cannot tell the three apart, so each counts it.
        Assert.Equal([("gunicorn-worker-main", 1U), ("gunicorn-worker", 1U), ("gunicorn-worker-other", 1U)],
            sample.WatchedProcesses.Select(w => (w.Name, w.Count)));
    }

    [Fact]
    public void WatchedCountsStartAgainInEverySample()
    {
        var collector = Create(Fixtures.WatchedProcesses);
        collector.Watch(["nginx"]);
        collector.Collect(new Sample(), new CollectContext(0, 10));
        var sample = new Sample();

        collector.Collect(sample, new CollectContext(1, 10));

        Assert.Equal(2U, Assert.Single(sample.WatchedProcesses).Count);
    }

    [Fact]
    public void WithNothingWatchedTheSampleHasNoWatchedProcesses()
    {
        var sample = new Sample();

        Create(Fixtures.WatchedProcesses).Collect(sample, new CollectContext(0, 10));

        Assert.Empty(sample.WatchedProcesses);
        Assert.Equal(7U, sample.ProcessCount);
    }

    [Fact]
    public async Task CollectOnThisMachineFindsProcessesWithSaneValues()
    {
        var sample = await Live.CollectOverWindowAsync(new ProcessCollector(Live.Paths), topProcesses: 5,
            new Sample { Memory = new MemorySample { TotalBytes = 1UL << 40 } });

        Assert.True(sample.ProcessCount > 0);
        Assert.InRange(sample.Processes.Count, 1, 5);
        Assert.All(sample.Processes, p =>
        {
            Assert.True(p.Pid > 0);
            Assert.InRange(p.CpuPercent, 0, 100 * Environment.ProcessorCount + 1);
            Assert.InRange(p.Name.Length, 0, 64);
            Assert.InRange(p.CommandLine.Length, 1, 256);
            Assert.NotEmpty(p.User);
        });
        Assert.True(sample.Processes.Zip(sample.Processes.Skip(1)).All(pair => pair.First.CpuPercent >= pair.Second.CpuPercent));
    }
}
