using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// The busiest processes by CPU, how many there are, and how many carry each watched name. One
/// NtQuerySystemInformation(SystemProcessInformation) call gives every process's times, working set, threads and
/// image name.
/// </summary>
/// <remarks>
/// Only the top N are opened (OpenProcess with PROCESS_QUERY_LIMITED_INFORMATION) for the owner's name (token
/// SID → LookupAccountSidW) and the command line (NtQueryInformationProcess ProcessCommandLineInformation). Both
/// are kept per process (pid and creation time) while it stays in the top N, and account names per SID, so a
/// steady state opens no process at all. The System Idle Process (pid 0) is not a process and is not counted.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed unsafe class WindowsProcessCollector : IMetricCollector, IWatchesProcesses
{
    // Room for a few hundred processes; grown to what the kernel asks for, plus headroom for new processes.
    private const int InitialBufferBytes = 512 * 1024;
    private const int BufferHeadroomBytes = 64 * 1024;

    // UNICODE_STRING lengths are 16-bit: a command line never needs more than this.
    private const int MaxCommandLineBufferBytes = WindowsProcessList.UnicodeStringSize + ushort.MaxValue + 1;

    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(InitialBufferBytes, pinned: true);
    private byte[] _commandLineBuffer = GC.AllocateUninitializedArray<byte>(4096, pinned: true);
    private readonly byte[] _tokenBuffer = GC.AllocateUninitializedArray<byte>(256, pinned: true);
    private readonly List<WindowsProcessRecord> _records = [];
    private readonly List<Candidate> _candidates = [];
    private Dictionary<int, Known> _previous = [];
    private Dictionary<int, Known> _current = [];
    private Dictionary<int, Details> _details = [];
    private Dictionary<int, Details> _nextDetails = [];
    private readonly Dictionary<string, string> _accountsBySid = new(StringComparer.Ordinal);
    private bool _primed;
    private WatchedProcessCounter _watched = WatchedProcessCounter.None;

    /// <inheritdoc />
    public string Name => "processes";

    /// <inheritdoc />
    public void Watch(IReadOnlyList<string> names) => _watched = WatchedProcessCounter.ForWindows(names);

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var length = QueryProcesses();
        var buffer = _buffer.AsSpan(0, length);
        fixed (byte* address = _buffer)
        {
            WindowsProcessList.Parse(buffer, (ulong)address, _records);
        }

        _current.Clear();
        _candidates.Clear();
        _watched.Reset();
        foreach (var record in _records)
        {
            // A pid with another creation time is a new process that reuses the number: its whole CPU time is
            // inside this window. Image names never change, so a known process keeps its name string.
            var isKnown = _previous.TryGetValue(record.Pid, out var before) && before.CreateTime == record.CreateTime;
            var name = isKnown ? before.Name : ProcessCollector.SanitizeName(WindowsProcessList.NameOf(buffer, record));
            _current[record.Pid] = new Known(record.CreateTime, record.BusyTicks, name);
            var delta = isKnown ? Counter.Delta(before.BusyTicks, record.BusyTicks) : record.BusyTicks;
            _candidates.Add(new Candidate(record, name, delta));
            // No threads left means it has exited and only handles keep it listed: not a running service.
            if (record.State != 'Z')
            {
                _watched.Count(name);
            }
        }

        (_previous, _current) = (_current, _previous);
        sample.ProcessCount = (uint)_candidates.Count;
        _watched.AddTo(sample);
        var wasPrimed = _primed;
        _primed = true;
        if (!wasPrimed || context.ElapsedSeconds <= 0 || context.TopProcesses <= 0)
        {
            return;
        }

        // Busiest first; among equals the biggest, so an idle host still shows something useful.
        _candidates.Sort(static (a, b) => b.DeltaTicks != a.DeltaTicks
            ? b.DeltaTicks.CompareTo(a.DeltaTicks)
            : b.Record.WorkingSetBytes.CompareTo(a.Record.WorkingSetBytes));

        var memoryTotalBytes = sample.Memory?.TotalBytes ?? 0;
        _nextDetails.Clear();
        for (var i = 0; i < _candidates.Count && i < context.TopProcesses; i++)
        {
            var candidate = _candidates[i];
            var record = candidate.Record;
            var details = _details.TryGetValue(record.Pid, out var known) && known.CreateTime == record.CreateTime
                ? known
                : ReadDetails(record, candidate.Name);
            _nextDetails[record.Pid] = details;
            sample.Processes.Add(new ProcessSample
            {
                Pid = record.Pid,
                Name = candidate.Name,
                User = details.User,
                CpuPercent = WindowsTicks.CpuPercentOfOneCore(candidate.DeltaTicks, context.ElapsedSeconds),
                ResidentBytes = record.WorkingSetBytes,
                MemoryPercent = memoryTotalBytes > 0 ? record.WorkingSetBytes * 100.0 / memoryTotalBytes : 0,
                Threads = record.Threads,
                State = StateText(record.State),
                CommandLine = details.CommandLine,
            });
        }

        (_details, _nextDetails) = (_nextDetails, _details);
    }

    private static string StateText(char state) => state switch
    {
        'R' => "R",
        'T' => "T",
        'Z' => "Z",
        _ => "S",
    };

    /// <summary>Fills <see cref="_buffer"/> with the process list and returns its length.</summary>
    private int QueryProcesses()
    {
        // The list grows between asking for the size and asking for the data, so a few rounds may be needed.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            int status;
            uint needed;
            fixed (byte* buffer = _buffer)
            {
                status = WindowsNative.NtQuerySystemInformation(
                    WindowsNative.SystemProcessInformation, buffer, (uint)_buffer.Length, out needed);
            }

            if (status == WindowsNative.StatusSuccess)
            {
                return (int)Math.Min(needed == 0 ? (uint)_buffer.Length : needed, (uint)_buffer.Length);
            }

            if (status != WindowsNative.StatusInfoLengthMismatch)
            {
                throw WindowsNative.NtFailure("NtQuerySystemInformation(SystemProcessInformation)", status);
            }

            var size = (int)Math.Min((long)Math.Max(needed, (uint)_buffer.Length) + BufferHeadroomBytes, int.MaxValue);
            _buffer = GC.AllocateUninitializedArray<byte>(size, pinned: true);
        }

        throw new IOException("NtQuerySystemInformation(SystemProcessInformation) kept asking for a bigger buffer.");
    }

    /// <summary>The owner and command line of a process; empty owner and "[name]" when it cannot be opened.</summary>
    private Details ReadDetails(in WindowsProcessRecord record, string name)
    {
        var process = WindowsNative.OpenProcess(WindowsNative.ProcessQueryLimitedInformation, false, (uint)record.Pid);
        if (process == 0)
        {
            // Protected (System, Secure System) or already gone: like a kernel thread on Linux.
            return new Details(record.CreateTime, string.Empty, WindowsProcessList.FormatCommandLine(default, name));
        }

        try
        {
            return new Details(record.CreateTime, ReadUser(process), ReadCommandLine(process, name));
        }
        finally
        {
            WindowsNative.CloseHandle(process);
        }
    }

    private string ReadUser(nint process)
    {
        if (!WindowsNative.OpenProcessToken(process, WindowsNative.TokenQuery, out var token))
        {
            return string.Empty;
        }

        try
        {
            fixed (byte* buffer = _tokenBuffer)
            {
                if (!WindowsNative.GetTokenInformation(token, WindowsNative.TokenUser, buffer, (uint)_tokenBuffer.Length, out _))
                {
                    return string.Empty;
                }

                // TOKEN_USER starts with SID_AND_ATTRIBUTES, whose first field points at the SID inside this buffer.
                var sidAddress = *(ulong*)buffer;
                var sidOffset = sidAddress - (ulong)buffer;
                if (sidAddress < (ulong)buffer || sidOffset >= (ulong)_tokenBuffer.Length)
                {
                    return string.Empty;
                }

                var sidBytes = _tokenBuffer.AsSpan((int)sidOffset);
                var sidLength = WindowsProcessList.SidLength(sidBytes);
                if (sidLength == 0)
                {
                    return string.Empty;
                }

                var sidText = WindowsProcessList.FormatSid(sidBytes[..sidLength]);
                if (!_accountsBySid.TryGetValue(sidText, out var account))
                {
                    // LookupAccountSidW may ask a domain controller; asked once per SID, whatever the answer.
                    account = LookupAccount((void*)sidAddress) ?? sidText;
                    _accountsBySid[sidText] = account;
                }

                return account;
            }
        }
        finally
        {
            WindowsNative.CloseHandle(token);
        }
    }

    private static string? LookupAccount(void* sid)
    {
        const int Chars = 256;
        var name = stackalloc char[Chars];
        var domain = stackalloc char[Chars];
        uint nameLength = Chars, domainLength = Chars;
        return WindowsNative.LookupAccountSidW(null, sid, name, ref nameLength, domain, ref domainLength, out _)
            && nameLength is > 0 and < Chars
            ? ProcFile.Truncate(new string(name, 0, (int)nameLength), ProcessCollector.MaxNameChars)
            : null;
    }

    private string ReadCommandLine(nint process, string name)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            int status;
            uint needed;
            fixed (byte* buffer = _commandLineBuffer)
            {
                status = WindowsNative.NtQueryInformationProcess(
                    process, WindowsNative.ProcessCommandLineInformation, buffer, (uint)_commandLineBuffer.Length, out needed);
                if (status == WindowsNative.StatusSuccess)
                {
                    var text = WindowsProcessList.ParseCommandLine(
                        _commandLineBuffer.AsSpan(0, (int)Math.Min(needed, (uint)_commandLineBuffer.Length)), (ulong)buffer);
                    return WindowsProcessList.FormatCommandLine(text, name);
                }
            }

            if (status is not (WindowsNative.StatusInfoLengthMismatch or WindowsNative.StatusBufferOverflow or WindowsNative.StatusBufferTooSmall)
                || needed <= _commandLineBuffer.Length || needed > MaxCommandLineBufferBytes)
            {
                break;
            }

            _commandLineBuffer = GC.AllocateUninitializedArray<byte>((int)needed, pinned: true);
        }

        return WindowsProcessList.FormatCommandLine(default, name);
    }

    private readonly record struct Known(long CreateTime, ulong BusyTicks, string Name);

    private readonly record struct Candidate(WindowsProcessRecord Record, string Name, ulong DeltaTicks);

    private readonly record struct Details(long CreateTime, string User, string CommandLine);
}
