using System.Text;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class WatchedProcessCounterTests
{
    private static (string Name, uint Count)[] Counted(WatchedProcessCounter counter, params string[] processNames)
    {
        counter.Reset();
        foreach (var name in processNames)
        {
            counter.Count(name);
        }

        var sample = new Sample();
        counter.AddTo(sample);
        return [.. sample.WatchedProcesses.Select(w => (w.Name, w.Count))];
    }

    [Fact]
    public void OnLinuxNamesMatchExactlyAndCaseMatters()
    {
        var counter = WatchedProcessCounter.ForLinux(["nginx", "postgres"]);

        Assert.Equal([("nginx", 2U), ("postgres", 0U)], Counted(counter, "nginx", "Nginx", "nginx", "nginx-debug", "Postgres"));
    }

    [Fact]
    public void OnLinuxANameCutInsideAMultiByteCharacterStillMatches()
    {
        // 14 ASCII letters, then "ü" (2 bytes): the kernel keeps 15 bytes, half of the "ü", and the agent decodes the
        // stat file's text with the half character as U+FFFD.
        const string name = "abcdefghijklmnü-daemon";
        byte[] statText = [.. Encoding.UTF8.GetBytes(name)[..WatchedProcessCounter.LinuxCommBytes], (byte)')'];
        var comm = Encoding.UTF8.GetString(statText)[..^1];

        Assert.Equal([(name, 1U)], Counted(WatchedProcessCounter.ForLinux([name]), comm));
    }

    [Fact]
    public void OnWindowsTheExeSuffixAndCaseAreIgnored()
    {
        var counter = WatchedProcessCounter.ForWindows(["nginx", "Postgres.exe"]);

        Assert.Equal([("nginx", 2U), ("Postgres.exe", 2U)],
            Counted(counter, "nginx.exe", "NGINX.EXE", "nginx-debug.exe", "postgres.exe", "postgres", "svchost.exe"));
    }

    [Fact]
    public void OnMacOSALongNameMatchesItsFirst32Bytes()
    {
        var longName = new string('x', 40);
        var counter = WatchedProcessCounter.ForMacOS([longName, "nginx"]);
        counter.Reset();

        counter.CountUtf8(Encoding.UTF8.GetBytes(new string('x', WatchedProcessCounter.MacNameBytes)));
        counter.CountUtf8("nginx"u8);
        counter.CountUtf8("nginx"u8);

        var sample = new Sample();
        counter.AddTo(sample);
        Assert.Equal([(longName, 1U), ("nginx", 2U)], sample.WatchedProcesses.Select(w => (w.Name, w.Count)));
    }

    [Fact]
    public void NothingWatchedAddsNothing()
    {
        Assert.True(WatchedProcessCounter.None.IsEmpty);
        Assert.Empty(Counted(WatchedProcessCounter.None, "nginx"));
    }
}
