using SysMon.Agent.Collectors;
using SysMon.Agent.Platforms.Windows;

namespace SysMon.Agent.Tests.Platforms.Windows;

public class WindowsProcessListTests
{
    // Where the tests pretend the kernel's buffer lies: the name pointers are relative to it.
    private const ulong BaseAddress = 0x7FF6_1234_0000;

    /// <summary>One process to write: its thread states as (KTHREAD_STATE, KWAIT_REASON) pairs.</summary>
    private sealed record Process(long Pid, string? Name, long CreateTime, long UserTime, long KernelTime, ulong WorkingSet, (uint State, uint Reason)[] Threads);

    /// <summary>A SystemProcessInformation buffer as the kernel lays it out: the entries, then the names.</summary>
    private static Bytes Build(params Process[] processes)
    {
        var entrySizes = processes.Select(p => WindowsProcessList.ProcessInformationSize + (p.Threads.Length * WindowsProcessList.ThreadInformationSize)).ToArray();
        var namesStart = entrySizes.Sum();
        var bytes = new Bytes(namesStart + processes.Sum(p => ((p.Name?.Length ?? 0) * 2) + 2));
        var offset = 0;
        var nameOffset = namesStart;
        for (var i = 0; i < processes.Length; i++)
        {
            var p = processes[i];
            bytes.U32(offset + WindowsProcessList.NextEntryOffsetOffset, i == processes.Length - 1 ? 0u : (uint)entrySizes[i])
                .U32(offset + WindowsProcessList.NumberOfThreadsOffset, (uint)p.Threads.Length)
                .I64(offset + WindowsProcessList.CreateTimeOffset, p.CreateTime)
                .I64(offset + WindowsProcessList.UserTimeOffset, p.UserTime)
                .I64(offset + WindowsProcessList.KernelTimeOffset, p.KernelTime)
                .I64(offset + WindowsProcessList.UniqueProcessIdOffset, p.Pid)
                .U64(offset + WindowsProcessList.WorkingSetSizeOffset, p.WorkingSet);
            if (p.Name is not null)
            {
                bytes.UnicodeString(offset + WindowsProcessList.ImageNameOffset, nameOffset, p.Name, BaseAddress);
                nameOffset += (p.Name.Length * 2) + 2;
            }

            for (var t = 0; t < p.Threads.Length; t++)
            {
                var thread = offset + WindowsProcessList.ProcessInformationSize + (t * WindowsProcessList.ThreadInformationSize);
                bytes.U32(thread + WindowsProcessList.ThreadStateOffset, p.Threads[t].State)
                    .U32(thread + WindowsProcessList.WaitReasonOffset, p.Threads[t].Reason);
            }

            offset += entrySizes[i];
        }

        return bytes;
    }

    private static readonly (uint, uint) s_running = (WindowsProcessList.ThreadRunning, 0);
    private static readonly (uint, uint) s_waiting = (WindowsProcessList.ThreadWaiting, 6);
    private static readonly (uint, uint) s_suspended = (WindowsProcessList.ThreadWaiting, WindowsProcessList.WaitReasonSuspended);

    [Fact]
    public void ParseReadsEveryProcessExceptTheIdleProcess()
    {
        var buffer = Build(
            new Process(0, null, 0, 0, 9_000_000_000, 8192, [s_running, s_running]),
            new Process(4, "System", 133_500_000_000_000_000, 0, 52_000_000, 151_552, [s_waiting]),
            new Process(1234, "notepad.exe", 133_500_000_100_000_000, 25_000_000, 5_000_000, 16_777_216, [s_waiting, s_suspended]));
        var processes = new List<WindowsProcessRecord>();

        WindowsProcessList.Parse(buffer.Buffer, BaseAddress, processes);

        Assert.Equal([4, 1234], processes.Select(p => p.Pid));
        var notepad = processes[1];
        Assert.Equal("notepad.exe", WindowsProcessList.NameOf(buffer.Buffer, notepad).ToString());
        Assert.Equal("System", WindowsProcessList.NameOf(buffer.Buffer, processes[0]).ToString());
        Assert.Equal(133_500_000_100_000_000, notepad.CreateTime);
        Assert.Equal(25_000_000UL, notepad.UserTicks);
        Assert.Equal(5_000_000UL, notepad.KernelTicks);
        Assert.Equal(30_000_000UL, notepad.BusyTicks);
        Assert.Equal(16_777_216UL, notepad.WorkingSetBytes);
        Assert.Equal(2u, notepad.Threads);
    }

    [Fact]
    public void StateIsRunningSleepingStoppedOrZombieFromTheThreads()
    {
        var buffer = Build(
            new Process(10, "busy.exe", 1, 0, 0, 0, [s_waiting, s_running]),
            new Process(11, "idle.exe", 1, 0, 0, 0, [s_waiting, s_suspended]),
            new Process(12, "frozen.exe", 1, 0, 0, 0, [s_suspended, s_suspended]),
            new Process(13, "gone.exe", 1, 0, 0, 0, []),
            new Process(14, "ready.exe", 1, 0, 0, 0, [(WindowsProcessList.ThreadReady, 0)]));
        var processes = new List<WindowsProcessRecord>();

        WindowsProcessList.Parse(buffer.Buffer, BaseAddress, processes);

        Assert.Equal(['R', 'S', 'T', 'Z', 'R'], processes.Select(p => p.State));
    }

    [Fact]
    public void ANamePointerOutsideTheBufferGivesAnEmptyName()
    {
        var buffer = Build(new Process(8, "x.exe", 1, 0, 0, 0, [s_waiting]));
        buffer.U64(WindowsProcessList.ImageNameOffset + WindowsProcessList.UnicodeStringBufferOffset, BaseAddress + 1_000_000);
        var processes = new List<WindowsProcessRecord>();

        WindowsProcessList.Parse(buffer.Buffer, BaseAddress, processes);

        Assert.Equal(0, Assert.Single(processes).NameBytes);
        Assert.True(WindowsProcessList.NameOf(buffer.Buffer, processes[0]).IsEmpty);
    }

    [Fact]
    public void AChainPointingPastTheEndStopsTheWalk()
    {
        var buffer = Build(
            new Process(8, "a.exe", 1, 0, 0, 0, [s_waiting]),
            new Process(9, "b.exe", 1, 0, 0, 0, [s_waiting]));
        buffer.U32(WindowsProcessList.NextEntryOffsetOffset, 0x7FFF_0000);
        var processes = new List<WindowsProcessRecord>();

        WindowsProcessList.Parse(buffer.Buffer, BaseAddress, processes);

        Assert.Equal([8], processes.Select(p => p.Pid));
    }

    [Fact]
    public void ATruncatedBufferYieldsNothingRatherThanThrowing()
    {
        var processes = new List<WindowsProcessRecord>();

        WindowsProcessList.Parse(new byte[100], BaseAddress, processes);

        Assert.Empty(processes);
    }

    [Fact]
    public void ParseCommandLineReadsTheUnicodeStringBehindItsHeader()
    {
        const string Text = "\"C:\\Program Files\\App\\app.exe\" --flag";
        var buffer = new Bytes(WindowsProcessList.UnicodeStringSize + (Text.Length * 2) + 2)
            .UnicodeString(0, WindowsProcessList.UnicodeStringSize, Text, BaseAddress);

        Assert.Equal(Text, WindowsProcessList.ParseCommandLine(buffer.Buffer, BaseAddress).ToString());
        Assert.True(WindowsProcessList.ParseCommandLine(buffer.Buffer, BaseAddress + 64).IsEmpty);
        Assert.True(WindowsProcessList.ParseCommandLine(new byte[8], BaseAddress).IsEmpty);
    }

    [Fact]
    public void FormatCommandLineTruncatesReplacesControlCharactersAndNamesTheUnreadable()
    {
        Assert.Equal("a b c", WindowsProcessList.FormatCommandLine("a\tb\nc\0", "x.exe"));
        Assert.Equal("[System]", WindowsProcessList.FormatCommandLine(default, "System"));
        Assert.Equal(ProcessCollector.MaxCommandLineChars, WindowsProcessList.FormatCommandLine(new string('x', 1000), "x").Length);
        // A surrogate pair straddling the cut is dropped whole.
        var emoji = new string('x', ProcessCollector.MaxCommandLineChars - 1) + "\U0001F600";
        Assert.Equal(ProcessCollector.MaxCommandLineChars - 1, WindowsProcessList.FormatCommandLine(emoji, "x").Length);
    }

    [Fact]
    public void FormatSidWritesTheStandardStringForm()
    {
        // S-1-5-18 (LocalSystem): revision 1, one sub-authority, authority 5.
        byte[] system = [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
        // S-1-5-21-1004336348-1177238915-682003330-1001
        var user = new Bytes(8 + 20).U8(0, 1).U8(1, 5).U8(7, 5)
            .U32(8, 21).U32(12, 1004336348).U32(16, 1177238915).U32(20, 682003330).U32(24, 1001).Buffer;

        Assert.Equal("S-1-5-18", WindowsProcessList.FormatSid(system));
        Assert.Equal(12, WindowsProcessList.SidLength(system));
        Assert.Equal("S-1-5-21-1004336348-1177238915-682003330-1001", WindowsProcessList.FormatSid(user));
        Assert.Equal(string.Empty, WindowsProcessList.FormatSid(system.AsSpan(0, 10)));
        Assert.Equal(0, WindowsProcessList.SidLength(system.AsSpan(0, 10)));
    }

    [Fact]
    public void CpuPercentIsOfOneCoreAndCanExceedAHundred()
    {
        Assert.Equal(50, WindowsTicks.CpuPercentOfOneCore(5_000_000, 1.0), 9);
        Assert.Equal(150, WindowsTicks.CpuPercentOfOneCore(30_000_000, 2.0), 9);
        Assert.Equal(0, WindowsTicks.CpuPercentOfOneCore(30_000_000, 0));
    }
}
