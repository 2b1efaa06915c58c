using System.Diagnostics;
using System.Text;
using SysMon.Agent.Collectors;
using SysMon.Agent.Native;

namespace SysMon.Agent.Tests.Collectors;

/// <summary>
/// The kept /proc/PID descriptors, against real processes: children started and killed by the test. Which
/// descriptors are open is read from /proc/self/fd (each links to the path it was opened on). Other tests' live
/// process collectors open every process's stat too, the children's included, so this class runs alone.
/// </summary>
[Collection(nameof(OwnDescriptorsCollection))]
public sealed class ProcessFilesTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly List<Process> _children = [];

    [Fact]
    public void KeepsOneDescriptorPerProcessAndReadsItAgain()
    {
        var child = StartSleeper();
        using var files = new ProcessFiles(capacity: 16);
        var buffer = new byte[16];

        for (var sample = 0; sample < 3; sample++)
        {
            files.BeginSample();
            var count = files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer);
            files.EndSample();

            Assert.True(count > 0);
            // The buffer grew from 16 bytes and the whole line was read, not a first chunk.
            Assert.StartsWith($"{child.Id} (sleep) ", Encoding.ASCII.GetString(buffer, 0, count));
            Assert.EndsWith("\n", Encoding.ASCII.GetString(buffer, 0, count));
        }

        Assert.Equal(1, files.KeptProcesses);
        Assert.Equal(1, OpenDescriptorsOn(child.Id, "stat"));
    }

    [Fact]
    public void AGoneProcessReadsAsMinusOneAndItsDescriptorIsClosed()
    {
        var child = StartSleeper();
        using var files = new ProcessFiles(capacity: 16);
        var buffer = new byte[256];
        files.BeginSample();
        Assert.True(files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer) > 0);
        files.EndSample();

        Kill(child);
        files.BeginSample();
        var count = files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer);
        files.EndSample();

        Assert.Equal(-1, count);
        Assert.Equal(0, files.KeptProcesses);
        Assert.Equal(0, OpenDescriptorsOn(child.Id, "stat"));
    }

    [Fact]
    public void AReusedNumberIsReadFromItsNewProcessNotTheOldOne()
    {
        // A pid cannot be recycled on demand; reading pid A's kept descriptor after A died, with a path that now
        // names process B, is what a reused number looks like to the cache.
        var first = StartSleeper();
        var second = StartSleeper();
        using var files = new ProcessFiles(capacity: 16);
        var buffer = new byte[256];
        files.BeginSample();
        Assert.True(files.Read(first.Id, ProcessFile.Stat, StatPath(first.Id), ref buffer) > 0);
        files.EndSample();

        Kill(first);
        files.BeginSample();
        var count = files.Read(first.Id, ProcessFile.Stat, StatPath(second.Id), ref buffer);
        files.EndSample();

        Assert.StartsWith($"{second.Id} (sleep) ", Encoding.ASCII.GetString(buffer, 0, count));
        Assert.Equal(0, OpenDescriptorsOn(first.Id, "stat"));
        Assert.Equal(1, OpenDescriptorsOn(second.Id, "stat"));
    }

    [Fact]
    public void AProcessNotReadInASampleHasItsDescriptorsClosedAtTheEnd()
    {
        var kept = StartSleeper();
        var dropped = StartSleeper();
        using var files = new ProcessFiles(capacity: 16);
        var buffer = new byte[256];
        files.BeginSample();
        files.Read(kept.Id, ProcessFile.Stat, StatPath(kept.Id), ref buffer);
        files.Read(dropped.Id, ProcessFile.Stat, StatPath(dropped.Id), ref buffer);
        files.Read(dropped.Id, ProcessFile.Status, PidPath(dropped.Id, "status"), ref buffer);
        files.EndSample();
        Assert.Equal(3, files.OpenDescriptors);

        files.BeginSample();
        files.Read(kept.Id, ProcessFile.Stat, StatPath(kept.Id), ref buffer);
        files.EndSample();

        Assert.Equal(1, files.KeptProcesses);
        Assert.Equal(0, OpenDescriptorsOn(dropped.Id, "stat") + OpenDescriptorsOn(dropped.Id, "status"));
        Assert.Equal(1, OpenDescriptorsOn(kept.Id, "stat"));
    }

    [Fact]
    public void StatusAndCmdlineAreClosedWhenTheProcessLeavesTheTopN()
    {
        var child = StartSleeper();
        using var files = new ProcessFiles(capacity: 16);
        var buffer = new byte[256];
        files.BeginSample();
        files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer);
        var status = files.Read(child.Id, ProcessFile.Status, PidPath(child.Id, "status"), ref buffer);
        Assert.StartsWith("Name:\tsleep\n", Encoding.ASCII.GetString(buffer, 0, status));
        var cmdline = files.Read(child.Id, ProcessFile.CommandLine, PidPath(child.Id, "cmdline"), ref buffer);
        Assert.Equal("sleep\060\0", Encoding.ASCII.GetString(buffer, 0, cmdline));
        files.EndSample();
        Assert.Equal(1, OpenDescriptorsOn(child.Id, "status"));
        Assert.Equal(1, OpenDescriptorsOn(child.Id, "cmdline"));

        // Next sample: still listed (stat read), but no longer among the top N (no details read).
        files.BeginSample();
        files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer);
        files.EndSample();

        Assert.Equal(1, OpenDescriptorsOn(child.Id, "stat"));
        Assert.Equal(0, OpenDescriptorsOn(child.Id, "status") + OpenDescriptorsOn(child.Id, "cmdline"));
    }

    [Fact]
    public void OverCapacityFilesAreStillReadButNotKept()
    {
        var first = StartSleeper();
        var second = StartSleeper();
        using var files = new ProcessFiles(capacity: 1);
        var buffer = new byte[256];
        files.BeginSample();
        Assert.True(files.Read(first.Id, ProcessFile.Stat, StatPath(first.Id), ref buffer) > 0);
        var count = files.Read(second.Id, ProcessFile.Stat, StatPath(second.Id), ref buffer);
        var status = files.Read(second.Id, ProcessFile.Status, PidPath(second.Id, "status"), ref buffer);
        files.EndSample();

        Assert.True(count > 0 && status > 0);
        Assert.Equal(1, files.KeptProcesses);
        Assert.Equal(0, OpenDescriptorsOn(second.Id, "stat") + OpenDescriptorsOn(second.Id, "status"));
    }

    [Fact]
    public void DisposeAndClearCloseEveryDescriptor()
    {
        var child = StartSleeper();
        var files = new ProcessFiles(capacity: 16);
        var buffer = new byte[256];
        files.BeginSample();
        files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer);
        files.Read(child.Id, ProcessFile.CommandLine, PidPath(child.Id, "cmdline"), ref buffer);
        files.EndSample();

        files.Clear();
        Assert.Equal(0, OpenDescriptorsOn(child.Id, "stat") + OpenDescriptorsOn(child.Id, "cmdline"));

        files.BeginSample();
        files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer);
        files.Dispose();

        Assert.Equal(0, OpenDescriptorsOn(child.Id, "stat"));
        Assert.Throws<ObjectDisposedException>(() => files.Read(child.Id, ProcessFile.Stat, StatPath(child.Id), ref buffer));
    }

    [Theory]
    [InlineData(1024, 568)] // systemd's default soft limit
    [InlineData(456, 0)]
    [InlineData(100, 0)]
    [InlineData(1_048_576, ProcessFiles.MaxCapacity)]
    public void CapacityLeavesRoomForEverythingElseTheAgentOpens(long openFileLimit, int expected)
    {
        Assert.Equal(expected, ProcessFiles.CapacityFor(openFileLimit));
    }

    [Fact]
    public void RaisingTheLimitNeverLowersItAndStopsAtTheHardLimit()
    {
        var before = LibC.OpenFileLimit();

        ProcessFiles.RaiseDescriptorLimit();
        var after = LibC.OpenFileLimit();

        Assert.True(after >= before);
        Assert.True(after >= Math.Min(before, ProcessFiles.MaxCapacity));
        // Raising it again is a no-op, not an error.
        Assert.Equal(after, LibC.RaiseOpenFileLimit(1));
    }

    [Fact]
    public void TheCollectorKeepsItsOwnChildrensStatOpenAndClosesItWhenDisposed()
    {
        var child = StartSleeper();
        var collector = new ProcessCollector(HostPaths.Live);
        var sample = new SysMon.Protocol.V1.Sample();
        var context = new CollectContext(ElapsedSeconds: 1, TopProcesses: 10);

        collector.Collect(sample, context);
        collector.Collect(sample, context);

        Assert.Equal(1, OpenDescriptorsOn(child.Id, "stat"));
        Assert.True(collector.Files.KeptProcesses >= 2); // at least this test host and the child

        collector.Dispose();
        Assert.Equal(0, OpenDescriptorsOn(child.Id, "stat"));
    }

    public void Dispose()
    {
        foreach (var child in _children)
        {
            Kill(child);
            child.Dispose();
        }
    }

    private static byte[] StatPath(int pid) => PidPath(pid, "stat");

    private static byte[] PidPath(int pid, string file) => Encoding.ASCII.GetBytes($"/proc/{pid}/{file}\0");

    private static int OpenDescriptorsOn(int pid, string file)
    {
        var target = $"/proc/{pid}/{file}";
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == target)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while listing (another test's descriptor).
            }
        }

        return count;
    }

    private static void Kill(Process child)
    {
        if (!child.HasExited)
        {
            child.Kill();
        }

        // Reaped, so /proc/PID is gone rather than a zombie's.
        Assert.True(child.WaitForExit(s_timeout), "The child did not exit.");
    }

    private Process StartSleeper()
    {
        var child = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })
            ?? throw new InvalidOperationException("sleep did not start.");
        _children.Add(child);
        // Process.Start returns after fork; wait until the child has exec'd sleep, or its stat names the test host.
        // The kernel names the process during exec before it sets up the new arguments, so for a moment stat says
        // "(sleep)" while cmdline is still empty: wait for both.
        var deadline = DateTime.UtcNow + s_timeout;
        while (!File.ReadAllText($"/proc/{child.Id}/stat").Contains("(sleep)", StringComparison.Ordinal)
            || File.ReadAllText($"/proc/{child.Id}/cmdline").Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The child never became sleep.");
            Thread.Sleep(10);
        }

        return child;
    }
}

/// <summary>Tests that count this process's open descriptors: run with no other test beside them.</summary>
[CollectionDefinition(nameof(OwnDescriptorsCollection), DisableParallelization = true)]
public sealed class OwnDescriptorsCollection;
