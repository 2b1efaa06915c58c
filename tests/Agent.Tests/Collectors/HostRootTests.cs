using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

/// <summary>The agent in a container with the host's "/" mounted in (--host-root), on the host-root fixture.</summary>
public class HostRootTests
{
    private static readonly string s_hostRoot = Path.Combine(AppContext.BaseDirectory, "Fixtures", "host-root");

    [Fact]
    public void HostRootPutsProcSysAndEtcUnderIt()
    {
        var paths = HostPaths.From(new AgentOptions { HostRoot = "/host/" });

        Assert.Equal(new HostPaths("/host/proc", "/host/sys", "/host/etc", "/host"), paths);
        Assert.True(paths.HostMountedIn);
        Assert.Equal("/host/var/lib/docker", paths.Root("/var/lib/docker"));
    }

    [Fact]
    public void AnExplicitRootStillWinsOverTheHostRoot()
    {
        var paths = HostPaths.From(new AgentOptions { HostRoot = "/host", ProcRoot = "/hostproc", EtcRoot = "/config" });

        Assert.Equal(new HostPaths("/hostproc", "/host/sys", "/config", "/host"), paths);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    public void WithoutAHostRootThePathsAreTheOptionsAsToday(string? hostRoot)
    {
        var paths = HostPaths.From(new AgentOptions { HostRoot = hostRoot, ProcRoot = "/host/proc" });

        Assert.Equal(new HostPaths("/host/proc", "/sys", "/etc"), paths);
        Assert.False(paths.HostMountedIn);
        Assert.Equal("/host/proc/net/dev", paths.HostNamespaceProc("net/dev"));
        Assert.Equal("/var/lib/docker", paths.Root("/var/lib/docker"));
    }

    [Fact]
    public void WithAHostRootPerNamespaceFilesComeFromPidOne()
    {
        var paths = HostPaths.From(new AgentOptions { HostRoot = "/host" });

        Assert.Equal("/host/proc/1/net/dev", paths.HostNamespaceProc("net/dev"));
        Assert.Equal("/host/proc/1/mounts", paths.HostNamespaceProc("mounts"));
    }

    [Fact]
    public void OnlyThePlainLiveViewIsTheAgentsOwn()
    {
        Assert.True(HostPaths.Live.IsOwnView);
        Assert.False(HostPaths.From(new AgentOptions { HostRoot = "/host" }).IsOwnView);
        Assert.False(HostPaths.From(new AgentOptions { ProcRoot = "/host/proc" }).IsOwnView);
    }

    [Fact]
    public void NetworkReadsTheHostsInterfacesNotTheContainers()
    {
        var collector = new NetworkCollector(HostPaths.From(new AgentOptions { HostRoot = s_hostRoot }));
        var sample = new Sample();

        collector.Collect(new Sample(), new CollectContext(0, 10));
        collector.Collect(sample, new CollectContext(1, 10));

        // proc/net/dev (the container's eth0) is not read; proc/1/net/dev is.
        Assert.Equal(["enp1s0", "docker0"], sample.NetworkInterfaces.Select(i => i.Name));
    }

    [Fact]
    public void FilesystemsComeFromTheHostsMountTableAndAreStattedUnderTheRoot()
    {
        var sample = new Sample();
        new FilesystemCollector(HostPaths.From(new AgentOptions { HostRoot = s_hostRoot })).Collect(sample, new CollectContext(0, 10));

        // /data exists under the fixture root; /not-propagated does not, so its statvfs fails and it is skipped.
        // The container's own overlay root and its /host mount are never seen.
        Assert.Equal(["/", "/data"], sample.Filesystems.Select(f => f.MountPoint));
        Assert.Equal(["/dev/vda1", "/dev/vdb1"], sample.Filesystems.Select(f => f.Device));
        Assert.All(sample.Filesystems, f => Assert.True(f.TotalBytes > 0));
    }

    [Fact]
    public void StatPathPutsTheMountPointUnderTheHostRoot()
    {
        Assert.Equal("/host/data", FilesystemCollector.StatPath(HostPaths.From(new AgentOptions { HostRoot = "/host" }), "/data"));
        Assert.Equal("/data", FilesystemCollector.StatPath(HostPaths.Live, "/data"));
    }

    [Fact]
    public void TheMachineIdIsReadFromTheHostsEtc()
    {
        var paths = HostPaths.From(new AgentOptions { HostRoot = s_hostRoot });

        Assert.Equal("0123456789abcdef0123456789abcdef", File.ReadAllText(paths.Etc("machine-id")).Trim());
    }
}
