using SysMon.Agent.Native;

namespace SysMon.Agent.Tests.Native;

public class StartupMemoryTests
{
    [Fact]
    public void ParsesAMappingOfAFile()
    {
        var mapping = StartupMemory.ParseMapping("55d0c4a00000-55d0c4e5a000 r-xp 00200000 fd:01 1311  /usr/local/bin/sysmon-agent");

        Assert.Equal(new Mapping(0x55d0c4a00000, 0x55d0c4e5a000, "r-xp", "/usr/local/bin/sysmon-agent"), mapping);
        Assert.False(mapping!.Value.IsWritable);
    }

    [Fact]
    public void KeepsAPathWithSpacesWholeAndAnonymousMemoryHasNoPath()
    {
        Assert.Equal("/opt/my tools/sysmon-agent (deleted)",
            StartupMemory.ParseMapping("7f00-8f00 r--p 00000000 08:01 42      /opt/my tools/sysmon-agent (deleted)")!.Value.Path);
        var anonymous = StartupMemory.ParseMapping("7ffd1000-7ffd3000 rw-p 00000000 00:00 0 ");
        Assert.Equal(string.Empty, anonymous!.Value.Path);
        Assert.True(anonymous.Value.IsWritable);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("zz-10 r-xp 0 0:0 0 /x")]
    [InlineData("20-10 r-xp 0 0:0 0 /x")]
    [InlineData("10-20 rx 0 0:0 0 /x")]
    public void MalformedLinesAreSkipped(string line)
    {
        Assert.Null(StartupMemory.ParseMapping(line));
    }

    [Fact]
    public void AdvisesOnlyTheReadOnlyMappingsOfTheExecutable()
    {
        // This test host's own maps, with its executable's writable mappings left out of the count.
        var executable = Environment.ProcessPath!;
        var mappings = File.ReadLines("/proc/self/maps").Select(l => StartupMemory.ParseMapping(l)).OfType<Mapping>().ToList();
        var readOnlyBytes = mappings.Where(m => m.Path == executable && !m.IsWritable).Sum(m => (long)(m.End - m.Start));
        Assert.True(readOnlyBytes > 0, $"{executable} is not mapped read-only in /proc/self/maps.");

        var advised = StartupMemory.PageOutExecutable("/proc/self/maps", executable);

        // Linux 5.4+ takes the advice for every read-only mapping; an older kernel refuses all of it.
        var expected = Environment.OSVersion.Version >= new Version(5, 4) ? readOnlyBytes : 0;
        Assert.Equal(expected, advised);
    }

    [Fact]
    public void NothingIsAdvisedWithoutAnExecutableOrMaps()
    {
        Assert.Equal(0, StartupMemory.PageOutExecutable("/proc/self/maps", null));
        Assert.Equal(0, StartupMemory.PageOutExecutable("/nonexistent/maps", "/usr/bin/dotnet"));
        Assert.Equal(0, StartupMemory.PageOutExecutable("/proc/self/maps", "/not/mapped/here"));
    }
}
