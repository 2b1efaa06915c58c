using StackExchange.Redis;
using SysMon.Hub.Api;
using SysMon.Hub.History;
using SysMon.Hub.History.Storage;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

public class HistoryPointsTests
{
    private static Sample At(long seconds, double cpu, ulong usedBytes = 1 << 30, string disk = "vda", double readBps = 0) => new()
    {
        TimestampUnixMs = seconds * 1000,
        Cpu = new CpuSample { TotalPercent = cpu, CorePercent = { cpu, cpu / 2 }, Load1M = 1.5 },
        Memory = new MemorySample { TotalBytes = 8UL << 30, UsedBytes = usedBytes },
        Disks = { new DiskIoSample { Device = disk, ReadBytesPerSecond = readBps } },
    };

    [Fact]
    public void AggregateAveragesAndKeepsTheExtremesOfCpuAndMemory()
    {
        var points = new[] { At(10, 10, 1UL << 30), At(11, 30, 3UL << 30), At(12, 20, 2UL << 30) }.Select(HistoryPoints.FromSample).ToList();

        var aggregate = HistoryPoints.Aggregate(points, 10_000)!;

        Assert.Equal(10_000, aggregate.TimestampUnixMs);
        Assert.Equal(3U, aggregate.SampleCount);
        Assert.Equal(200UL, aggregate.CpuPermille.Avg);
        Assert.Equal(100UL, aggregate.CpuPermille.Min);
        Assert.Equal(300UL, aggregate.CpuPermille.Max);
        Assert.Equal([200U, 100U], aggregate.CorePermille);
        Assert.Equal(150U, aggregate.Load1MCenti);
        Assert.Equal(2UL << 20, aggregate.MemoryUsedKib.Avg);
        Assert.Equal(3UL << 20, aggregate.MemoryUsedKib.Max);
    }

    [Fact]
    public void AggregatesOfAggregatesWeighBySampleCount()
    {
        var first = HistoryPoints.Aggregate([HistoryPoints.FromSample(At(0, 10)), HistoryPoints.FromSample(At(1, 10)), HistoryPoints.FromSample(At(2, 10))], 0)!;
        var second = HistoryPoints.Aggregate([HistoryPoints.FromSample(At(10, 50))], 10_000)!;

        var minute = HistoryPoints.Aggregate([first, second], 0)!;

        Assert.Equal(4U, minute.SampleCount);
        Assert.Equal(200UL, minute.CpuPermille.Avg); // (3×10 % + 1×50 %) / 4 = 20 %
        Assert.Equal(500UL, minute.CpuPermille.Max);
    }

    [Fact]
    public void ADeviceMissingFromSomePointsAveragesOverThePointsItIsIn()
    {
        var points = new[] { At(0, 1, disk: "sdb", readBps: 1000), At(1, 1, disk: "vda", readBps: 10), At(2, 1, disk: "sdb", readBps: 3000) }
            .Select(HistoryPoints.FromSample).ToList();

        var aggregate = HistoryPoints.Aggregate(points, 0)!;

        Assert.Equal(2000UL, aggregate.Disks.Single(d => d.Device == "sdb").ReadBytesPerSecond);
        Assert.Equal(10UL, aggregate.Disks.Single(d => d.Device == "vda").ReadBytesPerSecond);
    }

    [Fact]
    public void NonsenseValuesFromAnAgentAreStoredAsZeroInsteadOfOverflowing()
    {
        var point = HistoryPoints.FromSample(new Sample { Cpu = new CpuSample { TotalPercent = double.NaN, Load1M = double.PositiveInfinity, CorePercent = { -5 } } });

        Assert.Equal(0UL, point.CpuPermille.Avg);
        Assert.Equal(0U, point.Load1MCenti);
        Assert.Equal([0U], point.CorePermille);
    }
}

/// <summary>The recorder against both stores: raw is the truth, coarser tiers are recomputed from it.</summary>
public abstract class HistoryRecorderContract
{
    protected static readonly HistoryOptions Options = new();
    protected abstract IHistoryStore Store { get; }

    // A fixed minute boundary 10 minutes ago, so every point is inside the raw window.
    private static readonly long Base = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600) / 60 * 60;

    private static Sample At(long offset, double cpu) => new()
    {
        Sequence = (ulong)offset + 1,
        TimestampUnixMs = (Base + offset) * 1000 + 250,
        Cpu = new CpuSample { TotalPercent = cpu },
        Processes = { new ProcessSample { Pid = 42, Name = "worker", CpuPercent = cpu } },
    };

    private static string NewMachine() => "hist-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task EverySampleIsKeptRawAndClosedStepsAreAveragedIntoTheCoarserTiers()
    {
        var machine = NewMachine();
        var recorder = new HistoryRecorder(Store, Options, machine);
        for (var i = 0; i < 65; i++)
        {
            await recorder.RecordAsync(At(i, i)).WithTimeout();
        }

        var raw = await Store.ReadAsync(machine, Options.Raw, Base, Base + 65).WithTimeout();
        var medium = await Store.ReadAsync(machine, Options.Medium, Base, Base + 70).WithTimeout();
        var coarse = await Store.ReadAsync(machine, Options.Coarse, Base, Base + 120).WithTimeout();

        Assert.Equal(65, raw.Count);
        Assert.Equal(6, medium.Count); // steps 0..50 closed; 60..69 is still open
        Assert.Equal(45UL, medium[0].CpuPermille.Avg); // avg of 0..9 % = 4.5 % = 45 ‰
        Assert.Equal(10U, medium[0].SampleCount);
        var minute = Assert.Single(coarse);
        Assert.Equal(295UL, minute.CpuPermille.Avg); // avg of 0..59 % = 29.5 %
        Assert.Equal(590UL, minute.CpuPermille.Max);
    }

    [Fact]
    public async Task ReplayingSamplesChangesNothing()
    {
        var machine = NewMachine();
        var recorder = new HistoryRecorder(Store, Options, machine);
        for (var i = 0; i < 25; i++)
        {
            await recorder.RecordAsync(At(i, i)).WithTimeout();
        }
        var before = await Store.ReadAsync(machine, Options.Medium, Base, Base + 30).WithTimeout();

        var replay = new HistoryRecorder(Store, Options, machine);
        for (var i = 5; i < 25; i++)
        {
            await replay.RecordAsync(At(i, i)).WithTimeout();
        }
        await replay.FlushAsync(all: true).WithTimeout();

        Assert.Equal(25, (await Store.ReadAsync(machine, Options.Raw, Base, Base + 30).WithTimeout()).Count);
        var after = await Store.ReadAsync(machine, Options.Medium, Base, Base + 30).WithTimeout();
        Assert.Equal(before[0], after[0]);
        Assert.Equal(before[1], after[1]);
    }

    [Fact]
    public async Task AStepSplitBetweenTwoHubsIsRecomputedFromEverySampleInIt()
    {
        var machine = NewMachine();
        var hubA = new HistoryRecorder(Store, Options, machine);
        for (var i = 0; i < 15; i++)
        {
            await hubA.RecordAsync(At(i, 10)).WithTimeout();
        }
        // Hub A dies here: step 10..19 was never closed by it.
        var hubB = new HistoryRecorder(Store, Options, machine);
        for (var i = 15; i < 21; i++)
        {
            await hubB.RecordAsync(At(i, 30)).WithTimeout();
        }

        var step = (await Store.ReadAsync(machine, Options.Medium, Base + 10, Base + 20).WithTimeout()).Single();
        Assert.Equal(10U, step.SampleCount);
        Assert.Equal(200UL, step.CpuPermille.Avg); // 5 × 10 % (hub A) + 5 × 30 % (hub B)
    }

    [Fact]
    public async Task AProcessSnapshotIsKeptPerMinuteAndFoundByTime()
    {
        var machine = NewMachine();
        var recorder = new HistoryRecorder(Store, Options, machine);
        for (var i = 0; i < 125; i += 5)
        {
            await recorder.RecordAsync(At(i, i)).WithTimeout();
        }

        var atNinety = await Store.ReadProcessesAsync(machine, Base + 90, 120).WithTimeout();
        var beforeAny = await Store.ReadProcessesAsync(machine, Base - 1, 120).WithTimeout();

        Assert.NotNull(atNinety);
        Assert.Equal((Base + 60) * 1000 + 250, atNinety.TimestampUnixMs); // the minute's first sample
        Assert.Equal("worker", atNinety.Processes.Single().Name);
        Assert.Null(beforeAny);
    }
}

public sealed class InMemoryHistoryRecorderTests : HistoryRecorderContract
{
    protected override IHistoryStore Store { get; } = new InMemoryHistoryStore(Options, TimeProvider.System);
}

public sealed class RedisHistoryRecorderTests(RedisServer redis) : HistoryRecorderContract, IClassFixture<RedisServer>, IDisposable
{
    private readonly ConnectionMultiplexer _connection = ConnectionMultiplexer.Connect(redis.ConnectionString);

    protected override IHistoryStore Store => new RedisHistoryStore(_connection, Options, TimeProvider.System);

    public void Dispose() => _connection.Dispose();
}

public class HistoryQueryTests
{
    private static readonly HistoryOptions Options = new();
    private const long Now = 1_800_000_000;

    [Theory]
    [InlineData(Now - 600, 1, "raw")]       // last 10 min at 1 s: every sample
    [InlineData(Now - 600, 10, "medium")]   // last 10 min at 10 s: no need for raw
    [InlineData(Now - 3600, 1, "medium")]   // an hour ago is past the raw window
    [InlineData(Now - 900 - 3, 2, "raw")]   // "the last 15 minutes" asked 3 s ago still gets every sample
    [InlineData(Now - 900 - 11, 2, "medium")] // but not once it is more than a 10 s step past the raw window
    [InlineData(Now - 86400 * 2, 60, "coarse")]
    [InlineData(Now - 3600, 3600, "coarse")]
    [InlineData(Now - 86400 * 90, 60, "coarse")] // beyond every window: the longest tier answers what it has
    public void TheFinestTierThatHoldsTheRangeAndIsNotFinerThanTheStepAnswers(long from, long step, string tier) =>
        Assert.Equal(tier, HistoryApi.ChooseTier(Options, from, Now, step).Name);

    [Theory]
    [InlineData("10", 10)]
    [InlineData("10s", 10)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1d", 86400)]
    public void StepsAreSecondsOrDurations(string text, long seconds)
    {
        Assert.True(HistoryApi.TryParseDuration(text, out var parsed));
        Assert.Equal(seconds, parsed);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("5x")]
    [InlineData("99999999999999999999")]
    public void BadStepsAreRefused(string text) => Assert.False(HistoryApi.TryParseDuration(text, out _));

    [Fact]
    public void TimesAreUnixMillisecondsOrIso8601()
    {
        Assert.True(HistoryApi.TryParseTime("1764000000000", 0, out var ms));
        Assert.Equal(1764000000000, ms);
        Assert.True(HistoryApi.TryParseTime("2026-11-25T03:00:00Z", 0, out ms));
        Assert.Equal(DateTimeOffset.Parse("2026-11-25T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), ms);
        Assert.True(HistoryApi.TryParseTime(null, 42, out ms));
        Assert.Equal(42, ms);
        Assert.False(HistoryApi.TryParseTime("yesterday", 0, out _));
        Assert.False(HistoryApi.TryParseTime("-5", 0, out _));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")]
    [InlineData("-12.5", "-12.5")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    public void CsvCellsAreQuotedAndFormulasDefused(string cell, string expected) => Assert.Equal(expected, HistoryCsv.Escape(cell));
}

public sealed class SealedHistoryTests(RedisServer redis) : IClassFixture<RedisServer>, IDisposable
{
    private readonly ConnectionMultiplexer _connection = ConnectionMultiplexer.Connect(redis.ConnectionString + ",allowAdmin=true");
    private static readonly HistoryOptions Options = new();

    private static HistoryPoint Point(long seconds, uint cpuPermille) => new()
    {
        TimestampUnixMs = seconds * 1000,
        SampleCount = 10,
        CpuPermille = new Stat { Avg = cpuPermille, Min = cpuPermille, Max = cpuPermille },
        Disks = { new DiskPoint { Device = "nvme0n1", ReadBytesPerSecond = 4096 } },
    };

    [Fact]
    public async Task ASealedBucketReadsTheSameTakesLessMemoryAndStillTakesLateWrites()
    {
        var store = new RedisHistoryStore(_connection, Options, TimeProvider.System);
        var tier = Options.Medium;
        var machine = "seal-" + Guid.NewGuid().ToString("N")[..10];
        var bucket = tier.BucketStart(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 7200);
        for (var i = 0; i < HistoryTier.PointsPerBucket; i++)
        {
            await store.WriteAsync(machine, tier, Point(bucket + (i * tier.StepSeconds), (uint)(i % 7) * 100)).WithTimeout();
        }
        var key = SysMon.Hub.Registry.RedisKeys.History(machine, tier.Name, bucket);
        var db = _connection.GetDatabase();
        var before = await store.ReadAsync(machine, tier, bucket, bucket + tier.BucketSeconds).WithTimeout();
        var memoryBefore = (long)await db.ExecuteAsync("MEMORY", "USAGE", key.ToString()).WithTimeout();

        await store.SealAsync(machine, tier, bucket).WithTimeout();
        await store.SealAsync(machine, tier, bucket).WithTimeout(); // idempotent

        var after = await store.ReadAsync(machine, tier, bucket, bucket + tier.BucketSeconds).WithTimeout();
        var memoryAfter = (long)await db.ExecuteAsync("MEMORY", "USAGE", key.ToString()).WithTimeout();
        Assert.Equal(before, after);
        Assert.Equal(1, await db.HashLengthAsync(key).WithTimeout());
        Assert.True(memoryAfter * 4 < memoryBefore, $"sealed {memoryAfter} B vs {memoryBefore} B");

        // A late replay lands after the seal: it is read, and wins over the sealed copy.
        await store.WriteAsync(machine, tier, Point(bucket, 999)).WithTimeout();
        var late = await store.ReadAsync(machine, tier, bucket, bucket + tier.StepSeconds).WithTimeout();
        Assert.Equal(999UL, late.Single().CpuPermille.Avg);
        await store.SealAsync(machine, tier, bucket).WithTimeout();
        Assert.Equal(999UL, (await store.ReadAsync(machine, tier, bucket, bucket + tier.StepSeconds).WithTimeout()).Single().CpuPermille.Avg);
        Assert.Equal(HistoryTier.PointsPerBucket, (await store.ReadAsync(machine, tier, bucket, bucket + tier.BucketSeconds).WithTimeout()).Count);
    }

    public void Dispose() => _connection.Dispose();
}
