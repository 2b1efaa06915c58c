using SysMon.Agent.Platforms.Windows;

namespace SysMon.Agent.Tests.Platforms.Windows;

public class WindowsMemoryMathTests
{
    private const ulong GiB = 1UL << 30;

    [Fact]
    public void UsedIsTotalLessAvailableAndFreeIsAvailableLessCache()
    {
        // 16 GiB RAM, 6 GiB available of which 4 GiB cache; 4 GiB page file; 14 GiB committed.
        var memory = WindowsMemoryMath.ToSample(new WindowsMemoryStatus(
            TotalPhysical: 16 * GiB, AvailablePhysical: 6 * GiB, CommitLimit: 20 * GiB, CommitAvailable: 6 * GiB, SystemCache: 4 * GiB));

        Assert.Equal(16 * GiB, memory.TotalBytes);
        Assert.Equal(10 * GiB, memory.UsedBytes);
        Assert.Equal(6 * GiB, memory.AvailableBytes);
        Assert.Equal(4 * GiB, memory.CachedBytes);
        Assert.Equal(2 * GiB, memory.FreeBytes);
        Assert.Equal(0UL, memory.BuffersBytes);
        Assert.Equal(4 * GiB, memory.SwapTotalBytes);
        // Commit 14 GiB against 10 GiB of RAM in use: 4 GiB beyond it.
        Assert.Equal(4 * GiB, memory.SwapUsedBytes);
    }

    [Fact]
    public void WithoutAPageFileThereIsNoSwapAndNothingUnderflows()
    {
        var memory = WindowsMemoryMath.ToSample(new WindowsMemoryStatus(
            TotalPhysical: 8 * GiB, AvailablePhysical: 1 * GiB, CommitLimit: 8 * GiB, CommitAvailable: 2 * GiB, SystemCache: 3 * GiB));

        Assert.Equal(0UL, memory.SwapTotalBytes);
        Assert.Equal(0UL, memory.SwapUsedBytes);
        Assert.Equal(0UL, memory.FreeBytes);
        Assert.Equal(7 * GiB, memory.UsedBytes);
    }

    [Fact]
    public void SwapUseNeverExceedsThePageFile()
    {
        var memory = WindowsMemoryMath.ToSample(new WindowsMemoryStatus(
            TotalPhysical: 8 * GiB, AvailablePhysical: 7 * GiB, CommitLimit: 10 * GiB, CommitAvailable: 0, SystemCache: 0));

        Assert.Equal(2 * GiB, memory.SwapTotalBytes);
        Assert.Equal(2 * GiB, memory.SwapUsedBytes);
    }
}
