using System.Globalization;
using SysMon.Hub.Alerts;
using SysMon.Hub.History;
using SysMon.Protocol.V1;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Rules replayed over stored history: what "test against recent history" answers.</summary>
public sealed class AlertBacktestTests
{
    private static readonly AlertRule CpuHot = new()
    {
        Id = "cpu-hot", Name = "CPU hot", Metric = "cpu_percent", Threshold = 90, ClearThreshold = 80, ForSeconds = 60,
    };

    private static Sample Cpu(long seconds, double percent) => new() { TimestampUnixMs = seconds * 1000, Cpu = new CpuSample { TotalPercent = percent } };

    [Fact]
    public void AReplayFiresOnceTheConditionHasHeldForTheDurationAndResolvesPastTheClearingThreshold()
    {
        // 10 s steps, as in the day-long tier: hot from 100 s to 300 s, then 85 (not yet clear), then cool.
        var samples = Enumerable.Range(0, 50).Select(i => i * 10L)
            .Select(t => Cpu(t, t is >= 100 and < 300 ? 95 : t is >= 300 and < 350 ? 85 : 40));

        var (transitions, firingAtEnd) = AlertBacktest.Replay(CpuHot, "m1", [], samples);

        Assert.Equal([(TransitionKind.Fired, 160L), (TransitionKind.Resolved, 350L)],
            transitions.Select(t => (t.Kind, t.At.ToUnixTimeSeconds())));
        Assert.Equal(0, firingAtEnd);
    }

    [Fact]
    public void AnAlertStillFiringAtTheEndOfTheWindowIsCountedAndADisabledRuleIsTestedAsIfOn()
    {
        var samples = Enumerable.Range(0, 20).Select(i => Cpu(i * 10L, 99));

        var (transitions, firingAtEnd) = AlertBacktest.Replay(CpuHot with { Enabled = false }, "m1", [], samples);

        Assert.Equal(TransitionKind.Fired, Assert.Single(transitions).Kind);
        Assert.Equal(1, firingAtEnd);
    }

    [Fact]
    public void EveryMetricMarkedAsInHistoryReadsTheSameFromAStoredPointAsFromTheSample()
    {
        var sample = new Sample
        {
            TimestampUnixMs = 1_700_000_000_000,
            Cpu = new CpuSample { TotalPercent = 42.5, CorePercent = { 10.1, 74.9 }, Load1M = 1.25, Load5M = 0.5, Load15M = 0.33, IowaitPercent = 3, StealPercent = 1 },
            Memory = new MemorySample
            {
                TotalBytes = 8UL << 30, UsedBytes = 3UL << 30, AvailableBytes = 4UL << 30, SwapTotalBytes = 2UL << 30, SwapUsedBytes = 1UL << 29,
            },
            Filesystems = { new FilesystemSample { MountPoint = "/", TotalBytes = 100UL << 30, UsedBytes = 91UL << 30, FreeBytes = 9UL << 30 } },
            Disks = { new DiskIoSample { Device = "vda", ReadBytesPerSecond = 1_000_000, WriteBytesPerSecond = 2_500, BusyPercent = 12.5 } },
            NetworkInterfaces =
            {
                new NetworkInterfaceSample
                {
                    Name = "eth0", RxBytesPerSecond = 12_345, TxBytesPerSecond = 678, RxErrorsPerSecond = 0.5, TxErrorsPerSecond = 0.25,
                    RxDropsPerSecond = 1, TxDropsPerSecond = 2,
                },
            },
        };
        var stored = HistoryPoints.ToSample(HistoryPoints.FromSample(sample));

        foreach (var metric in AlertMetrics.All.Values.Where(m => m.InHistory))
        {
            var original = AlertMetrics.Read(metric.Name, sample).ToList();
            var replayed = AlertMetrics.Read(metric.Name, stored).ToList();
            Assert.True(original.Count > 0, $"{metric.Name}: the fixture has no value for it");
            Assert.Equal(original.Select(v => v.Instance), replayed.Select(v => v.Instance));
            foreach (var (a, b) in original.Zip(replayed))
            {
                // History rounds: percentages to 0.1, sizes to KiB, rates to whole bytes or 0.01.
                Assert.True(Math.Abs(a.Value - b.Value) <= Math.Max(0.06, Math.Abs(a.Value) * 1e-3),
                    string.Create(CultureInfo.InvariantCulture, $"{metric.Name} {a.Instance}: {a.Value} stored as {b.Value}"));
            }
        }
    }
}
