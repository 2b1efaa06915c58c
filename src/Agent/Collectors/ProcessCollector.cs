using System.Globalization;
using System.Text;
using SysMon.Agent.Native;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>The /proc/PID/stat fields the agent uses. Times are in clock ticks.</summary>
internal readonly record struct ProcessStat(
    int Pid, string Name, char State, ulong UserTicks, ulong SystemTicks, uint Threads, ulong StartTimeTicks, ulong ResidentPages);

/// <summary>The /proc/PID/status fields the agent uses.</summary>
internal readonly record struct ProcessStatus(uint? EffectiveUid, uint? Threads);

/// <summary>The busiest processes by CPU, how many there are, and how many carry each watched name.</summary>
/// <remarks>
/// Every process costs one read of /proc/PID/stat per sample; status and cmdline are read only for the
/// top N, because on a busy host those reads dominate the agent's own CPU use. The steady state allocates
/// nothing per process: /proc is listed with readdir, each process's files stay open and are re-read with one
/// pread into kept buffers (<see cref="ProcessFiles"/>), names and command lines are reused while a
/// process keeps them, and watched names are counted from the stat text already read (comm), into kept counts.
/// </remarks>
internal sealed class ProcessCollector : IMetricCollector, IDisposable, IWatchesProcesses
{
    internal const int MaxNameChars = 64;
    internal const int MaxCommandLineChars = 256;

    // One-letter states as strings, so a sample does not allocate one per process.
    private static readonly string[] s_states = [.. Enumerable.Range(0, 128).Select(c => ((char)c).ToString())];

    private readonly UserNames _userNames;
    private readonly double _clockTicksPerSecond;
    private readonly long _pageSizeBytes = Environment.SystemPageSize;
    private readonly ProcReader _reader = new();
    private readonly ProcessFiles _files;
    private readonly List<int> _pids = [];
    private Dictionary<int, ProcessStat> _previous = [];
    private Dictionary<int, ProcessStat> _current = [];
    private Dictionary<int, CommandLine> _commandLines = [];
    private Dictionary<int, CommandLine> _nextCommandLines = [];
    private readonly List<Candidate> _candidates = [];
    private bool _primed;
    private HostPaths _paths;
    private byte[] _procRoot = [];
    private WatchedProcessCounter _watched = WatchedProcessCounter.None;

    public ProcessCollector(HostPaths paths, long clockTicksPerSecond = 0, ProcessFiles? files = null)
    {
        _files = files ?? new ProcessFiles();
        _paths = paths;
        _userNames = new UserNames(paths.Etc("passwd"));
        _clockTicksPerSecond = clockTicksPerSecond > 0 ? clockTicksPerSecond : LibC.ClockTicksPerSecond;
        Paths = paths;
    }

    internal HostPaths Paths
    {
        get => _paths;
        set
        {
            _paths = value;
            _userNames.PasswdPath = value.Etc("passwd");
            _procRoot = ProcReader.NullTerminated(value.ProcRoot);
            _files.Clear();
        }
    }

    /// <summary>The kept /proc/PID descriptors (for tests and diagnostics).</summary>
    internal ProcessFiles Files => _files;

    /// <inheritdoc />
    public string Name => "processes";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        _current.Clear();
        _candidates.Clear();
        _pids.Clear();
        var pids = _pids;
        if (!RawFile.ForEachEntry(_procRoot, ref pids, static (name, ref list) =>
            {
                if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    list.Add(pid);
                }
            }))
        {
            throw new IOException($"Cannot list {_paths.ProcRoot}.");
        }

        Span<byte> path = stackalloc byte[_procRoot.Length + 32];
        _files.BeginSample();
        try
        {
            Collect(sample, context, path);
        }
        finally
        {
            _files.EndSample();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _files.Dispose();

    /// <inheritdoc />
    public void Watch(IReadOnlyList<string> names) => _watched = WatchedProcessCounter.ForLinux(names);

    private void Collect(Sample sample, in CollectContext context, Span<byte> path)
    {
        _watched.Reset();
        foreach (var pid in _pids)
        {
            // A process that exits between the directory listing and this read simply is not counted.
            if (!_reader.TryReadText(_files, pid, ProcessFile.Stat, PidPath(path, pid, "stat"u8), out var statText)
                || ParseStat(statText, out var rawName) is not { } parsed)
            {
                continue;
            }

            // A zombie has exited (only its parent has not reaped it yet): it is not a running service.
            if (!_watched.IsEmpty && parsed.State is not ('Z' or 'X'))
            {
                _watched.Count(rawName);
            }

            var stat = parsed with { Name = ReuseOrMakeName(_previous, parsed, rawName) };
            _current[pid] = stat;
            _candidates.Add(new Candidate(stat, BusyTicks(stat)));
        }

        var previous = _previous;
        (_previous, _current) = (_current, _previous);
        sample.ProcessCount = (uint)_candidates.Count;
        _watched.AddTo(sample);
        var wasPrimed = _primed;
        _primed = true;
        if (!wasPrimed || context.ElapsedSeconds <= 0 || context.TopProcesses <= 0)
        {
            return;
        }

        for (var i = 0; i < _candidates.Count; i++)
        {
            var candidate = _candidates[i];
            _candidates[i] = candidate with { DeltaTicks = DeltaTicks(previous, candidate.Stat) };
        }

        // Busiest first; among equals the biggest, so an idle host still shows something useful.
        _candidates.Sort(static (a, b) => b.DeltaTicks != a.DeltaTicks
            ? b.DeltaTicks.CompareTo(a.DeltaTicks)
            : b.Stat.ResidentPages.CompareTo(a.Stat.ResidentPages));

        var memoryTotalBytes = sample.Memory?.TotalBytes ?? 0;
        _nextCommandLines.Clear();
        foreach (var candidate in _candidates)
        {
            if (sample.Processes.Count >= context.TopProcesses)
            {
                break;
            }

            if (ReadDetails(candidate, context.ElapsedSeconds, memoryTotalBytes, path) is { } process)
            {
                sample.Processes.Add(process);
            }
        }

        // Only the current top N's command lines are kept.
        (_commandLines, _nextCommandLines) = (_nextCommandLines, _commandLines);
    }

    /// <summary>
    /// Parses /proc/PID/stat. The name (comm) is whatever the process chose and may hold spaces and parentheses,
    /// so it is the text between the first '(' and the LAST ')'. Returns null for malformed input.
    /// </summary>
    public static ProcessStat? ParseStat(string text) =>
        ParseStat(text, out var rawName) is { } stat ? stat with { Name = SanitizeName(rawName) } : null;

    /// <summary>
    /// <see cref="ParseStat(string)"/> without allocating: the name comes back as <paramref name="rawName"/>, raw,
    /// and the result's Name is empty.
    /// </summary>
    public static ProcessStat? ParseStat(ReadOnlySpan<char> span, out ReadOnlySpan<char> rawName)
    {
        rawName = default;
        var open = span.IndexOf('(');
        var close = span.LastIndexOf(')');
        if (open <= 0 || close < open
            || !int.TryParse(span[..open].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        rawName = span[(open + 1)..close];
        // Fields after the name, numbered as in proc(5): 3 state, 14 utime, 15 stime, 20 num_threads,
        // 22 starttime, 24 rss.
        var fields = new FieldReader(span[(close + 1)..]);
        if (!fields.TryNext(out var state) || state.IsEmpty)
        {
            return null;
        }

        fields.Skip(10); // 4 ppid … 13 cmajflt
        var userTicks = fields.NextUInt64();
        var systemTicks = fields.NextUInt64();
        fields.Skip(4); // 16 cutime … 19 nice
        var threads = fields.NextUInt64();
        fields.Skip(1); // 21 itrealvalue
        var startTime = fields.NextUInt64();
        fields.Skip(1); // 23 vsize
        var residentPages = fields.NextUInt64();
        return new ProcessStat(pid, string.Empty, state[0], userTicks, systemTicks, (uint)Math.Min(threads, uint.MaxValue),
            startTime, residentPages);
    }

    /// <summary>Parses the Uid (effective, the one ps shows) and Threads lines of /proc/PID/status.</summary>
    public static ProcessStatus ParseStatus(ReadOnlySpan<char> text)
    {
        uint? uid = null, threads = null;
        foreach (var line in text.EnumerateLines())
        {
            if (line.StartsWith("Uid:"))
            {
                var fields = new FieldReader(line[4..]);
                fields.Skip(1); // real uid
                if (fields.TryNext(out var effective)
                    && uint.TryParse(effective, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    uid = value;
                }
            }
            else if (line.StartsWith("Threads:")
                && uint.TryParse(line[8..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                threads = count;
            }
        }

        return new ProcessStatus(uid, threads);
    }

    /// <summary>
    /// Turns /proc/PID/cmdline (NUL-separated arguments) into one line of at most 256 chars; kernel threads
    /// and zombies have none and show as "[name]", like ps.
    /// </summary>
    public static string FormatCommandLine(ReadOnlySpan<byte> cmdline, string name)
    {
        var trimmed = cmdline.TrimEnd((byte)0);
        if (trimmed.IsEmpty)
        {
            return ProcFile.Truncate("[" + name + "]", MaxCommandLineChars);
        }

        // Decode at most what can survive truncation (UTF-8 never has fewer bytes than UTF-16 chars).
        var decoded = Encoding.UTF8.GetString(trimmed[..Math.Min(trimmed.Length, MaxCommandLineChars * 4)]);
        var text = ProcFile.Truncate(decoded, MaxCommandLineChars);
        return string.Create(text.Length, text, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                // NUL separates arguments; other control characters would break a log line or a table row.
                chars[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
    }

    /// <summary>CPU use of a process over the window, in % of one core (like top; can exceed 100).</summary>
    public static double CpuPercent(ulong deltaTicks, double clockTicksPerSecond, double elapsedSeconds) =>
        elapsedSeconds > 0 ? deltaTicks / clockTicksPerSecond / elapsedSeconds * 100 : 0;

    private static ulong BusyTicks(in ProcessStat stat) => stat.UserTicks + stat.SystemTicks;

    private static ulong DeltaTicks(Dictionary<int, ProcessStat> previous, in ProcessStat current)
    {
        // A pid with a different start time is a new process that reuses the number; a new process spent all
        // its CPU time inside this window, so its whole total is the delta.
        return previous.TryGetValue(current.Pid, out var before) && before.StartTimeTicks == current.StartTimeTicks
            ? Counter.Delta(BusyTicks(before), BusyTicks(current))
            : BusyTicks(current);
    }

    internal static string SanitizeName(ReadOnlySpan<char> raw)
    {
        var name = ProcFile.Truncate(raw.ToString(), MaxNameChars);
        return name.AsSpan().ContainsAnyInRange('\0', '\u001f')
            ? string.Create(name.Length, name, static (chars, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    chars[i] = char.IsControl(source[i]) ? '?' : source[i];
                }
            })
            : name;
    }

    /// <summary>The previous sample's name string when the process still has that name, else a new one.</summary>
    private static string ReuseOrMakeName(Dictionary<int, ProcessStat> previous, in ProcessStat stat, ReadOnlySpan<char> rawName)
    {
        // exec keeps the pid and start time but changes comm, so the name is compared, not assumed.
        return previous.TryGetValue(stat.Pid, out var before)
            && before.StartTimeTicks == stat.StartTimeTicks
            && rawName.Length <= MaxNameChars
            && rawName.SequenceEqual(before.Name)
                ? before.Name
                : SanitizeName(rawName);
    }

    /// <summary>Writes "&lt;proc&gt;/&lt;pid&gt;/&lt;file&gt;\0" into <paramref name="buffer"/>.</summary>
    private ReadOnlySpan<byte> PidPath(Span<byte> buffer, int pid, ReadOnlySpan<byte> file)
    {
        var root = _procRoot.AsSpan(0, _procRoot.Length - 1);
        root.CopyTo(buffer);
        var length = root.Length;
        buffer[length++] = (byte)'/';
        pid.TryFormat(buffer[length..], out var digits, default, CultureInfo.InvariantCulture);
        length += digits;
        buffer[length++] = (byte)'/';
        file.CopyTo(buffer[length..]);
        length += file.Length;
        buffer[length++] = 0;
        return buffer[..length];
    }

    private ProcessSample? ReadDetails(in Candidate candidate, double elapsedSeconds, ulong memoryTotalBytes, Span<byte> path)
    {
        var stat = candidate.Stat;
        // Both reads fail once the process is gone; such a process is skipped, not reported half-empty.
        if (!_reader.TryReadText(_files, stat.Pid, ProcessFile.Status, PidPath(path, stat.Pid, "status"u8), out var statusText))
        {
            return null;
        }

        var status = ParseStatus(statusText);
        if (!_reader.TryReadBytes(_files, stat.Pid, ProcessFile.CommandLine, PidPath(path, stat.Pid, "cmdline"u8), out var cmdline))
        {
            return null;
        }

        var commandLine = _commandLines.TryGetValue(stat.Pid, out var known)
            && known.StartTimeTicks == stat.StartTimeTicks
            && known.Raw.AsSpan().SequenceEqual(cmdline)
            && ReferenceEquals(known.Name, stat.Name)
                ? known
                : new CommandLine(stat.StartTimeTicks, cmdline.ToArray(), stat.Name, FormatCommandLine(cmdline, stat.Name));
        _nextCommandLines[stat.Pid] = commandLine;

        var residentBytes = stat.ResidentPages * (ulong)_pageSizeBytes;
        return new ProcessSample
        {
            Pid = stat.Pid,
            Name = stat.Name,
            User = status.EffectiveUid is { } uid ? _userNames.Resolve(uid) : string.Empty,
            CpuPercent = CpuPercent(candidate.DeltaTicks, _clockTicksPerSecond, elapsedSeconds),
            ResidentBytes = residentBytes,
            MemoryPercent = memoryTotalBytes > 0 ? residentBytes * 100.0 / memoryTotalBytes : 0,
            Threads = status.Threads ?? stat.Threads,
            State = stat.State < s_states.Length ? s_states[stat.State] : stat.State.ToString(),
            CommandLine = commandLine.Text,
        };
    }

    private readonly record struct Candidate(ProcessStat Stat, ulong DeltaTicks);

    /// <summary>A process's formatted command line, kept while its raw bytes and name stay the same.</summary>
    private sealed record CommandLine(ulong StartTimeTicks, byte[] Raw, string Name, string Text);
}
