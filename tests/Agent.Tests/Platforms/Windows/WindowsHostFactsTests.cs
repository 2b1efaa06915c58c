using SysMon.Agent.Collectors;
using SysMon.Agent.Platforms.Windows;

namespace SysMon.Agent.Tests.Platforms.Windows;

public class WindowsHostFactsTests
{
    [Fact]
    public void ParseDriveStringsSplitsTheDoubleNulTerminatedList()
    {
        Assert.Equal(["C:\\", "D:\\", "Z:\\"], WindowsHostFacts.ParseDriveStrings("C:\\\0D:\\\0Z:\\\0\0"));
        Assert.Equal(["C:\\"], WindowsHostFacts.ParseDriveStrings("C:\\"));
        Assert.Empty(WindowsHostFacts.ParseDriveStrings("\0"));
        Assert.Empty(WindowsHostFacts.ParseDriveStrings(default));
    }

    [Fact]
    public void CountProcessorCoresCountsCoreRecordsOfVaryingSize()
    {
        // Two core records (48 and 80 bytes: group masks vary), one cache record, then a record whose size runs
        // past the end.
        var buffer = new Bytes(48 + 80 + 56 + 16)
            .U32(0, WindowsHostFacts.RelationProcessorCore).U32(4, 48)
            .U32(48, WindowsHostFacts.RelationProcessorCore).U32(52, 80)
            .U32(128, 2).U32(132, 56)
            .U32(184, WindowsHostFacts.RelationProcessorCore).U32(188, 4096);

        Assert.Equal(2u, WindowsHostFacts.CountProcessorCores(buffer.Buffer));
        Assert.Equal(0u, WindowsHostFacts.CountProcessorCores(new Bytes(16).U32(4, 0).Buffer));
    }

    [Fact]
    public void ProductNameSaysWindows11FromBuild22000()
    {
        Assert.Equal("Windows 11 Pro", WindowsHostFacts.ProductName("Windows 10 Pro", 22631));
        Assert.Equal("Windows 10 Pro", WindowsHostFacts.ProductName("Windows 10 Pro", 19045));
        Assert.Equal("Windows Server 2022 Datacenter", WindowsHostFacts.ProductName("Windows Server 2022 Datacenter", 20348));
        Assert.Equal("Windows Server 2025 Standard", WindowsHostFacts.ProductName("Windows Server 2025 Standard", 26100));
        Assert.Equal("Windows", WindowsHostFacts.ProductName(null, 26100));
    }

    [Fact]
    public void VersionsCarryTheReleaseBuildAndRevision()
    {
        Assert.Equal("23H2 (build 22631.3007)", WindowsHostFacts.OsVersion("23H2", 22631, 3007));
        Assert.Equal("build 17763", WindowsHostFacts.OsVersion(null, 17763, 0));
        Assert.Equal("10.0.22631.3007", WindowsHostFacts.KernelVersion(10, 0, 22631, 3007));
        Assert.Equal("6.3.9600", WindowsHostFacts.KernelVersion(6, 3, 9600, 0));
    }

    [Fact]
    public void WindowsHasTheSameCollectorNamesInTheSameOrderAsLinux()
    {
        string[] expected = ["uptime", "cpu", "memory", "filesystems", "disks", "network", "processes"];

        Assert.Equal(expected, CollectorCatalog.NamesFor(AgentPlatform.Windows).Where(expected.Contains));
        Assert.Equal(expected, CollectorCatalog.NamesFor(AgentPlatform.Linux).Where(expected.Contains));
    }
}
