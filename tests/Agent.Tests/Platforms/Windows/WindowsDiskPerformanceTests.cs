using SysMon.Agent.Platforms.Windows;

namespace SysMon.Agent.Tests.Platforms.Windows;

public class WindowsDiskPerformanceTests
{
    private static byte[] Performance(long bytesRead, long bytesWritten, long idle, uint reads, uint writes, long query) =>
        new Bytes(WindowsDiskPerformance.Size)
            .I64(WindowsDiskPerformance.BytesReadOffset, bytesRead)
            .I64(WindowsDiskPerformance.BytesWrittenOffset, bytesWritten)
            .I64(16, 777).I64(24, 888) // ReadTime, WriteTime: not used
            .I64(WindowsDiskPerformance.IdleTimeOffset, idle)
            .U32(WindowsDiskPerformance.ReadCountOffset, reads)
            .U32(WindowsDiskPerformance.WriteCountOffset, writes)
            .U32(48, 3) // QueueDepth
            .I64(WindowsDiskPerformance.QueryTimeOffset, query)
            .Utf16(68, "partmgr")
            .Buffer;

    [Fact]
    public void ParseReadsTheCountersAndTheQueryClock()
    {
        var parsed = WindowsDiskPerformance.Parse(Performance(4096, 8192, 50_000_000, 10, 20, 133_000_000_000_000_000));

        Assert.Equal(new DiskPerformance(4096, 8192, 50_000_000, 10, 20, 133_000_000_000_000_000), parsed);
    }

    [Fact]
    public void AShortBufferParsesAsNothing()
    {
        Assert.Null(WindowsDiskPerformance.Parse(new byte[WindowsDiskPerformance.Size - 1]));
    }

    [Fact]
    public void RatesAndBusyPercentCoverTheWindow()
    {
        var before = WindowsDiskPerformance.Parse(Performance(1_000_000, 2_000_000, 100_000_000, 100, 200, 1_000_000_000))!.Value;
        // Two seconds (20 000 000 ticks) later; idle for 1.5 s of them: 25 % busy.
        var after = WindowsDiskPerformance.Parse(Performance(5_000_000, 3_000_000, 115_000_000, 140, 260, 1_020_000_000))!.Value;

        var rates = WindowsDiskPerformance.ComputeRates("PhysicalDrive0", before, after, 2.0);

        Assert.Equal("PhysicalDrive0", rates.Device);
        Assert.Equal(2_000_000, rates.ReadBytesPerSecond, 9);
        Assert.Equal(500_000, rates.WriteBytesPerSecond, 9);
        Assert.Equal(20, rates.ReadsPerSecond, 9);
        Assert.Equal(30, rates.WritesPerSecond, 9);
        Assert.Equal(25, rates.BusyPercent, 9);
    }

    [Fact]
    public void BusyPercentFallsBackToTheElapsedTimeWhenTheQueryClockStands()
    {
        var before = WindowsDiskPerformance.Parse(Performance(0, 0, 0, 0, 0, 5))!.Value;
        var after = WindowsDiskPerformance.Parse(Performance(0, 0, 2_500_000, 0, 0, 5))!.Value;

        Assert.Equal(75, WindowsDiskPerformance.ComputeRates("d", before, after, 1.0).BusyPercent, 9);
    }

    [Fact]
    public void CountersThatWrappedOrWentBackwardsGiveZero()
    {
        var before = WindowsDiskPerformance.Parse(Performance(9_000_000, 9_000_000, 50_000_000, uint.MaxValue - 5, 100, 1_000_000_000))!.Value;
        var after = WindowsDiskPerformance.Parse(Performance(100, 9_000_000, 10_000_000, 3, 100, 1_010_000_000))!.Value;

        var rates = WindowsDiskPerformance.ComputeRates("d", before, after, 1.0);

        Assert.Equal(0, rates.ReadBytesPerSecond);
        Assert.Equal(0, rates.ReadsPerSecond);
        Assert.Equal(0, rates.WriteBytesPerSecond);
        // Idle went backwards: a reset disk, reported idle rather than as a spike to 100 %.
        Assert.Equal(0, rates.BusyPercent);
    }
}
