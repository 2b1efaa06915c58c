using SysMon.Agent.Collectors;

namespace SysMon.Agent.Tests.Collectors;

public class SystemInfoTests
{
    [Fact]
    public void ReadHelloDescribesTheCapturedHost()
    {
        var hello = SystemInfo.ReadHello(Fixtures.T0, "abc", 1000);

        Assert.Equal(1U, hello.ProtocolVersion);
        Assert.Equal("abc", hello.MachineId);
        Assert.Equal("vm", hello.Hostname);
        Assert.Equal("Debian GNU/Linux", hello.OsName);
        Assert.Equal("12 (bookworm)", hello.OsVersion);
        Assert.Equal("6.18.44-fc-v782", hello.KernelVersion);
        Assert.Equal("AMD EPYC", hello.CpuModel);
        Assert.Equal(2U, hello.LogicalCores);
        Assert.Equal(2U, hello.PhysicalCores);
        Assert.Equal(24683620UL * 1024, hello.MemoryTotalBytes);
        Assert.Equal(1795623300, hello.BootTimeUnixSeconds);
        Assert.Equal(1000U, hello.SampleIntervalMs);
        Assert.Matches("^(x64|arm64|x86|arm|s390x|ppc64le|loongarch64|riscv64)$", hello.Architecture);
        Assert.Matches(@"^\d+\.\d+\.\d+", hello.AgentVersion);
    }

    [Fact]
    public void ParseOsReleaseFallsBackToVersionIdAndUnquotes()
    {
        Assert.Equal(("Alpine Linux", "3.19.1"), SystemInfo.ParseOsRelease("NAME='Alpine Linux'\nID=alpine\nVERSION_ID=3.19.1\n"));
    }

    [Fact]
    public void ParseCpuInfoCountsPhysicalCoresAcrossSockets()
    {
        var info = SystemInfo.ParseCpuInfo(
            """
            processor	: 0
            model name	: Xeon
            physical id	: 0
            core id		: 0

            processor	: 1
            physical id	: 0
            core id		: 0

            processor	: 2
            physical id	: 1
            core id		: 0
            """);

        Assert.Equal(new CpuInfo("Xeon", 3, 2), info);
    }

    [Fact]
    public void ParseCpuInfoOfAnArmBoardUsesHardwareOrCpuPart()
    {
        Assert.Equal("BCM2835", SystemInfo.ParseCpuInfo("processor\t: 0\nCPU part\t: 0xd08\nHardware\t: BCM2835\n").Model);
        Assert.Equal("CPU part 0xd0c", SystemInfo.ParseCpuInfo("processor\t: 0\nCPU part\t: 0xd0c\n").Model);
        Assert.Equal(0U, SystemInfo.ParseCpuInfo("processor\t: 0\nCPU part\t: 0xd0c\n").PhysicalCores);
    }

    [Fact]
    public void ReadHelloOnThisMachineIsFilledIn()
    {
        var hello = SystemInfo.ReadHello(Live.Paths, "live", 1000);

        Assert.NotEmpty(hello.Hostname);
        Assert.NotEmpty(hello.KernelVersion);
        Assert.Equal((uint)Environment.ProcessorCount, hello.LogicalCores);
        Assert.True(hello.MemoryTotalBytes > 0);
        Assert.True(hello.BootTimeUnixSeconds > 0 && hello.BootTimeUnixSeconds <= DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("3f2a9c1b7d4e", "web-7", "uts:[4026532201]", "uts:[4026531838]", "web-7")] // a container of its own: the host's file
    [InlineData("web-7", "web-7.old", "uts:[4026531838]", "uts:[4026531838]", "web-7")] // the host's namespace (uts: host): the kernel's
    [InlineData("web-7", null, "uts:[4026532201]", "uts:[4026531838]", "web-7")] // no host file: the kernel's
    [InlineData("web-7", "other", null, "uts:[4026531838]", "web-7")] // namespaces unknown: the kernel's
    public void AContainerWithoutTheHostsUtsNamespaceNamesTheHostFromItsEtcHostname(
        string kernel, string? etc, string? own, string? host, string expected) =>
        Assert.Equal(expected, SystemInfo.ChooseHostname(kernel, etc, own, host));
}
