using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

/// <summary>The agent in a memory-limited container without the host mounted in.</summary>
public class MemoryCgroupLimitTests
{
    private const ulong MiB = 1024 * 1024;

    private static readonly MemorySample s_host = new()
    {
        TotalBytes = 16384 * MiB,
        UsedBytes = 4096 * MiB,
        AvailableBytes = 12000 * MiB,
        FreeBytes = 8000 * MiB,
        BuffersBytes = 100 * MiB,
        CachedBytes = 4000 * MiB,
        SwapTotalBytes = 2048 * MiB,
        SwapUsedBytes = 10 * MiB,
    };

    [Fact]
    public void ALimitBelowTheHostsMemoryBecomesTheTotal()
    {
        var memory = MemoryCollector.ApplyCgroupLimit(s_host, new CgroupMemory(512 * MiB, 300 * MiB, 40 * MiB, 100 * MiB));

        Assert.Equal(512 * MiB, memory.TotalBytes);
        Assert.Equal(260 * MiB, memory.UsedBytes);
        Assert.Equal(252 * MiB, memory.AvailableBytes);
        Assert.Equal(212 * MiB, memory.FreeBytes);
        Assert.Equal(0UL, memory.BuffersBytes);
        Assert.Equal(100 * MiB, memory.CachedBytes);
        Assert.Equal(2048 * MiB, memory.SwapTotalBytes);
        Assert.Equal(10 * MiB, memory.SwapUsedBytes);
    }

    [Theory]
    [InlineData(0UL)]              // memory.max "max"
    [InlineData(16384UL * MiB)]    // equal to the host's memory
    [InlineData(65536UL * MiB)]    // above it
    public void NoLimitOrOneAboveTheHostsMemoryLeavesTheHostsNumbers(ulong limit)
    {
        var memory = MemoryCollector.ApplyCgroupLimit(s_host, new CgroupMemory(limit, 300 * MiB, 40 * MiB, 100 * MiB));

        Assert.Same(s_host, memory);
    }

    [Fact]
    public void AvailableIsBoundedByWhatTheHostHasLeft()
    {
        var tight = s_host.Clone();
        tight.AvailableBytes = 50 * MiB;
        tight.FreeBytes = 20 * MiB;

        var memory = MemoryCollector.ApplyCgroupLimit(tight, new CgroupMemory(512 * MiB, 300 * MiB, 40 * MiB, 100 * MiB));

        Assert.Equal(50 * MiB, memory.AvailableBytes);
        Assert.Equal(20 * MiB, memory.FreeBytes);
    }

    [Fact]
    public void UsedNeverExceedsTheLimitNorUnderflows()
    {
        Assert.Equal(512 * MiB, MemoryCollector.ApplyCgroupLimit(s_host, new CgroupMemory(512 * MiB, 600 * MiB, 0, 0)).UsedBytes);
        Assert.Equal(0UL, MemoryCollector.ApplyCgroupLimit(s_host, new CgroupMemory(512 * MiB, 10 * MiB, 20 * MiB, 0)).UsedBytes);
    }

    [Fact]
    public void FindOwnCgroupFolderFollowsSelfCgroupAndFallsBackToTheNamespaceRoot()
    {
        var paths = new HostPaths("/proc", "/sys", "/etc");
        string[] exists = ["/sys/fs/cgroup/system.slice/docker-1.scope/memory.max"];

        Assert.Equal("/sys/fs/cgroup/system.slice/docker-1.scope",
            MemoryCollector.FindOwnCgroupFolder(paths, "0::/system.slice/docker-1.scope\n", exists.Contains));
        // A private cgroup namespace shows "/" and mounts the container's cgroup as the root.
        Assert.Equal("/sys/fs/cgroup",
            MemoryCollector.FindOwnCgroupFolder(paths, "0::/\n", p => p == "/sys/fs/cgroup/memory.max"));
        Assert.Equal("/sys/fs/cgroup",
            MemoryCollector.FindOwnCgroupFolder(paths, "0::/../../elsewhere\n", p => p == "/sys/fs/cgroup/memory.max"));
        // cgroup v1 only, or no memory.max (the host's root cgroup): nothing to apply.
        Assert.Null(MemoryCollector.FindOwnCgroupFolder(paths, "4:memory:/docker/1\n1:cpu:/\n", _ => true));
        Assert.Null(MemoryCollector.FindOwnCgroupFolder(paths, "0::/\n", _ => false));
    }

    [Fact]
    public void CollectInALimitedContainerReportsTheLimit()
    {
        var sample = new Sample();
        new MemoryCollector(Fixtures.Tree("cgroup-limited"), cgroupAware: true).Collect(sample, new CollectContext(0, 10));

        // memory.max 512 MiB, memory.current 300 MiB, inactive_file 40 MiB, file 100 MiB.
        Assert.Equal(512 * MiB, sample.Memory.TotalBytes);
        Assert.Equal(260 * MiB, sample.Memory.UsedBytes);
        Assert.Equal(252 * MiB, sample.Memory.AvailableBytes);
        Assert.Equal(100 * MiB, sample.Memory.CachedBytes);
    }

    [Fact]
    public void CollectWithoutCgroupAwarenessReportsTheHostAsToday()
    {
        var sample = new Sample();
        new MemoryCollector(Fixtures.Tree("cgroup-limited")).Collect(sample, new CollectContext(0, 10));

        Assert.Equal(24683620UL * 1024, sample.Memory.TotalBytes);
    }

    [Fact]
    public void OnlyAnAgentReadingItsOwnProcConsidersItsCgroup()
    {
        Assert.False(MemoryCollector.ShouldUseOwnCgroup(HostPaths.From(new AgentOptions { HostRoot = "/host" })));
        Assert.Equal(ContainerDetection.IsInContainer(), MemoryCollector.ShouldUseOwnCgroup(HostPaths.Live));
    }
}
