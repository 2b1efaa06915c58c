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

/// <summary>The busiest processes by CPU, and how many there are.</summary>
/// <remarks>
/// Every process costs one read of /proc/PID/stat per sample; status and cmdline are read only for the
/// top N, because on a busy host those reads dominate the agent's own CPU use.
/// </remarks>
internal sealed class ProcessCollector : IMetricCollector
{
    internal const int MaxNameChars = 64;
    internal const int MaxCommandLineChars = 256;

    private readonly UserNames _userNames;
    private readonly double _clockTicksPerSecond;
    private readonly long _pageSizeBytes = Environment.SystemPageSize;
    private Dictionary<int, ProcessStat> _previous = [];
    private Dictionary<int, ProcessStat> _current = [];
    private readonly List<Candidate> _candidates = [];
    private bool _primed;
    private HostPaths _paths;

    public ProcessCollector(HostPaths paths, long clockTicksPerSecond = 0)
    {
        _paths = paths;
        _userNames = new UserNames(paths.Etc("passwd"));
        _clockTicksPerSecond = clockTicksPerSecond > 0 ? clockTicksPerSecond : LibC.ClockTicksPerSecond;
    }

    internal HostPaths Paths
    {
        get => _paths;
        set
        {
            _paths = value;
            _userNames.PasswdPath = value.Etc("passwd");
        }
    }

    /// <inheritdoc />
    public string Name => "processes";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        _current.Clear();
        _candidates.Clear();
        foreach (var directory in Directory.EnumerateDirectories(_paths.ProcRoot))
        {
            var pidText = Path.GetFileName(directory.AsSpan());
            if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            // A process that exits between the directory listing and this read simply is not counted.
            if (ProcFile.TryReadAllText(Path.Join(directory, "stat")) is not { } statText
                || ParseStat(statText) is not { } stat)
            {
                continue;
            }

            _current[pid] = stat;
            _candidates.Add(new Candidate(stat, BusyTicks(stat)));
        }

        var previous = _previous;
        (_previous, _current) = (_current, _previous);
        sample.ProcessCount = (uint)_candidates.Count;
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
        foreach (var candidate in _candidates)
        {
            if (sample.Processes.Count >= context.TopProcesses)
            {
                break;
            }

            if (ReadDetails(candidate, context.ElapsedSeconds, memoryTotalBytes) is { } process)
            {
                sample.Processes.Add(process);
            }
        }
    }

    /// <summary>
    /// Parses /proc/PID/stat. The name (comm) is whatever the process chose and may hold spaces and parentheses,
    /// so it is the text between the first '(' and the LAST ')'. Returns null for malformed input.
    /// </summary>
    public static ProcessStat? ParseStat(string text)
    {
        var span = text.AsSpan();
        var open = span.IndexOf('(');
        var close = span.LastIndexOf(')');
        if (open <= 0 || close < open
            || !int.TryParse(span[..open].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        var name = SanitizeName(span[(open + 1)..close]);
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
        return new ProcessStat(pid, name, state[0], userTicks, systemTicks, (uint)Math.Min(threads, uint.MaxValue),
            startTime, residentPages);
    }

    /// <summary>Parses the Uid (effective, the one ps shows) and Threads lines of /proc/PID/status.</summary>
    public static ProcessStatus ParseStatus(string text)
    {
        uint? uid = null, threads = null;
        foreach (var line in text.AsSpan().EnumerateLines())
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

    private static string SanitizeName(ReadOnlySpan<char> raw)
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

    private ProcessSample? ReadDetails(in Candidate candidate, double elapsedSeconds, ulong memoryTotalBytes)
    {
        var stat = candidate.Stat;
        var directory = Path.Join(_paths.ProcRoot, stat.Pid.ToString(CultureInfo.InvariantCulture));
        // Both reads fail once the process is gone; such a process is skipped, not reported half-empty.
        if (ProcFile.TryReadAllText(Path.Join(directory, "status")) is not { } statusText
            || ProcFile.TryReadAllBytes(Path.Join(directory, "cmdline")) is not { } cmdline)
        {
            return null;
        }

        var status = ParseStatus(statusText);
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
            State = stat.State.ToString(),
            CommandLine = FormatCommandLine(cmdline, stat.Name),
        };
    }

    private readonly record struct Candidate(ProcessStat Stat, ulong DeltaTicks);
}
