using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Agent.Extensions;

namespace SysMon.Agent.Tests;

public class SamplerTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void ReadBeforePrimeIsRefusedRatherThanReportingRatesAgainstZero()
    {
        var sampler = Sampler.Create(new AgentOptions());

        Assert.Throws<InvalidOperationException>(() => sampler.Read());
    }

    [Fact]
    public void ACollectorWhoseFilesAreMissingLeavesTheRestOfTheSampleIntact()
    {
        var collectors = new IMetricCollector[] { new CpuCollector(Fixtures.Missing), new MemoryCollector(Fixtures.T0) };
        var sampler = new Sampler(collectors, Options.Create(new AgentOptions()));

        sampler.Prime();
        var sample = sampler.Read();

        Assert.Null(sample.Cpu);
        Assert.True(sample.Memory.TotalBytes > 0);
        Assert.Equal(["cpu"], sample.FailedCollectors);
    }

    [Fact]
    public void EveryCatalogEntryOfThisPlatformMakesACollectorOfThatName()
    {
        var options = new AgentOptions();
        foreach (var entry in CollectorCatalog.All.Where(e => e.Platform == CollectorCatalog.Current))
        {
            var collector = entry.Create(HostPaths.From(options), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            Assert.Equal(entry.Name, collector.Name);
        }
    }

    [Fact]
    public void DisabledCollectorsAreNotRunAndNotAnnounced()
    {
        var sampler = Sampler.Create(new AgentOptions { DisabledCollectors = " processes ,DISKS" });

        Assert.DoesNotContain("processes", sampler.CollectorNames);
        Assert.DoesNotContain("disks", sampler.CollectorNames);
        Assert.Contains("cpu", sampler.CollectorNames);
        sampler.Prime();
        var sample = sampler.Read();
        Assert.Empty(sample.Processes);
        Assert.Equal(0u, sample.ProcessCount);
        Assert.Empty(sample.Disks);
        Assert.NotNull(sample.Cpu);
    }

    [Fact]
    public void WatchedProcessesReachTheProcessCollectorAndEverySample()
    {
        var others = CollectorCatalog.NamesFor(CollectorCatalog.Current).Where(name => name != "processes");
        var sampler = Sampler.Create(new AgentOptions
        {
            ProcRoot = Fixtures.WatchedProcesses.ProcRoot,
            DisabledCollectors = string.Join(',', others),
            WatchProcesses = "nginx, postgres,nginx",
        });

        sampler.Prime();
        var sample = sampler.Read();

        Assert.Equal([("nginx", 2U), ("postgres", 0U)], sample.WatchedProcesses.Select(w => (w.Name, w.Count)));
    }

    [Fact]
    public async Task SampleOnceAsyncTakesARealReadingOverOneInterval()
    {
        var sampler = Sampler.Create(new AgentOptions { SampleIntervalMs = 250, TopProcesses = 3 });

        var sample = await sampler.SampleOnceAsync().WaitAsync(s_deadline);

        Assert.Equal(1UL, sample.Sequence);
        Assert.InRange(sample.IntervalSeconds, 0.2, 5);
        Assert.InRange(sample.Cpu.TotalPercent, 0, 100);
        Assert.True(sample.Memory.TotalBytes > 0);
        Assert.InRange(sample.Processes.Count, 1, 3);
        Assert.InRange(sample.TimestampUnixMs, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.True(sample.CalculateSize() > 0);
    }

    [Fact]
    public void SettingsAreClampedToTheContractsRanges()
    {
        var sampler = Sampler.Create(new AgentOptions { SampleIntervalMs = 10, TopProcesses = 1000 });

        Assert.Equal(250, sampler.SampleIntervalMs);
        Assert.Equal(100, sampler.TopProcesses);
    }

    [Fact]
    public void AddSysMonAgentGivesEverySamplerItsOwnCollectors()
    {
        var services = new ServiceCollection();
        services.AddLogging(); // a host always has logging; AddSysMonAgent leaves it alone
        services.AddSingleton<IHostApplicationLifetime, StubLifetime>();
        services.AddSysMonAgent(o => o.TopProcesses = 7);
        services.AddSysMonAgent(o => o.SampleIntervalMs = 500);
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var first = provider.GetRequiredService<Sampler>();
        var second = provider.GetRequiredService<Sampler>();

        Assert.NotSame(first, second);
        Assert.Equal(7, first.TopProcesses);
        Assert.Equal(500, first.SampleIntervalMs);
        Assert.Equal(CollectorCatalog.NamesFor(CollectorCatalog.Current), first.CollectorNames);
        Assert.NotSame(first.CollectorNames, second.CollectorNames);
        Assert.Single(provider.GetServices<IHostedService>());
    }

    private sealed class StubLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
