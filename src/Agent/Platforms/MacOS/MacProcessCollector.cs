using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>
/// The busiest processes by CPU, how many there are, and how many carry each watched name, from libproc: one
/// PROC_PIDTASKALLINFO per process per sample (times, resident size, threads, start time, and the name watched
/// names are compared with); name, state and owner (PROC_PIDTBSDINFO) and the command line (KERN_PROCARGS2, else
/// proc_pidpath) only for the top N.
/// </summary>
/// <remarks>
/// Task info of another user's process needs root, which a LaunchDaemon has. Without it such processes are
/// still counted (their BSD info is readable) but show no CPU time or memory.
/// </remarks>
[SupportedOSPlatform("macos")]
internal sealed class MacProcessCollector : IMetricCollector, IWatchesProcesses
{
    private readonly MachTimebase _timebase = MacNative.Timebase;
    private readonly byte[] _info = new byte[MacStructs.ProcTaskAllInfoSize];
    private readonly byte[] _path = new byte[4096];
    private readonly List<Candidate> _candidates = [];
    private readonly Dictionary<uint, string> _userNames = [];
    private int[] _pids = new int[1024];
    private byte[]? _procArgs;
    private Dictionary<int, Reading> _previous = [];
    private Dictionary<int, Reading> _current = [];
    private Dictionary<int, Details> _details = [];
    private Dictionary<int, Details> _nextDetails = [];
    private bool _primed;
    private WatchedProcessCounter _watched = WatchedProcessCounter.None;

    /// <inheritdoc />
    public string Name => "processes";

    /// <inheritdoc />
    public void Watch(IReadOnlyList<string> names) => _watched = WatchedProcessCounter.ForMacOS(names);

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        _current.Clear();
        _candidates.Clear();
        _watched.Reset();
        var count = MacNative.ListAllPids(ref _pids);
        for (var i = 0; i < count; i++)
        {
            var pid = _pids[i];
            Reading reading;
            if (MacNative.TryReadTaskAllInfo(pid, _info))
            {
                var bsd = MacStructs.ParseBsdInfo(_info);
                var task = MacStructs.ParseTaskInfo(_info.AsSpan(MacStructs.ProcBsdInfoSize));
                reading = new Reading(pid, bsd.StartMicroseconds, task.TotalUserMach + task.TotalSystemMach, task.ResidentBytes, task.Threads);
            }
            else if (MacNative.TryReadBsdInfo(pid, _info))
            {
                reading = new Reading(pid, MacStructs.ParseBsdInfo(_info).StartMicroseconds, 0, 0, 0);
            }
            else
            {
                continue; // exited since the listing
            }

            // Both reads leave the BSD info at the start of _info. A zombie has exited: not a running service.
            if (!_watched.IsEmpty && MacStructs.ParseBsdInfo(_info).Status != MacMetrics.StatusZombie)
            {
                _watched.CountUtf8(MacStructs.BsdInfoName(_info));
            }

            _current[pid] = reading;
            _candidates.Add(new Candidate(reading, 0));
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
            var reading = _candidates[i].Reading;
            // A pid with another start time is a new process: all its CPU time falls inside this window.
            var delta = previous.TryGetValue(reading.Pid, out var before) && before.StartMicroseconds == reading.StartMicroseconds
                ? Counter.Delta(before.TotalMachUnits, reading.TotalMachUnits)
                : reading.TotalMachUnits;
            _candidates[i] = new Candidate(reading, delta);
        }

        _candidates.Sort(static (a, b) => b.DeltaMachUnits != a.DeltaMachUnits
            ? b.DeltaMachUnits.CompareTo(a.DeltaMachUnits)
            : b.Reading.ResidentBytes.CompareTo(a.Reading.ResidentBytes));

        var memoryTotalBytes = sample.Memory?.TotalBytes ?? 0;
        _nextDetails.Clear();
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

        // Only the current top N's names and command lines are kept.
        (_details, _nextDetails) = (_nextDetails, _details);
    }

    private ProcessSample? ReadDetails(in Candidate candidate, double elapsedSeconds, ulong memoryTotalBytes)
    {
        var reading = candidate.Reading;
        if (!MacNative.TryReadBsdInfo(reading.Pid, _info))
        {
            return null;
        }

        var bsd = MacStructs.ParseBsdInfo(_info);
        if (bsd.StartMicroseconds != reading.StartMicroseconds)
        {
            return null; // the pid was reused within this sample
        }

        // exec keeps the pid and start time but changes the name and arguments: reuse only while the name matches.
        var rawName = MacStructs.BsdInfoName(_info);
        var details = _details.TryGetValue(reading.Pid, out var known)
            && known.StartMicroseconds == bsd.StartMicroseconds
            && rawName.SequenceEqual(known.RawName)
                ? known
                : MakeDetails(reading.Pid, bsd.StartMicroseconds, rawName);
        _nextDetails[reading.Pid] = details;

        return new ProcessSample
        {
            Pid = reading.Pid,
            Name = details.Name,
            User = UserName(bsd.EffectiveUid),
            CpuPercent = MacMetrics.ProcessCpuPercent(candidate.DeltaMachUnits, _timebase, elapsedSeconds),
            ResidentBytes = reading.ResidentBytes,
            MemoryPercent = memoryTotalBytes > 0 ? reading.ResidentBytes * 100.0 / memoryTotalBytes : 0,
            Threads = reading.Threads,
            State = MacMetrics.StateLetter(bsd.Status),
            CommandLine = details.CommandLine,
        };
    }

    private Details MakeDetails(int pid, ulong startMicroseconds, ReadOnlySpan<byte> rawName)
    {
        var name = ProcessCollector.SanitizeName(Encoding.UTF8.GetString(rawName));
        _procArgs ??= GC.AllocateUninitializedArray<byte>(MacNative.ArgMax());
        var length = MacNative.TryReadProcArgs2(pid, _procArgs);
        var arguments = length > 0 ? MacStructs.ProcArgs2Arguments(_procArgs.AsSpan(0, length)) : default;
        if (arguments.IsEmpty)
        {
            // Another user's process without root, or a process with no argv: the executable path is still public.
            arguments = MacNative.ProcessPath(pid, _path);
        }

        return new Details(startMicroseconds, rawName.ToArray(), name, ProcessCollector.FormatCommandLine(arguments, name));
    }

    private string UserName(uint uid)
    {
        if (!_userNames.TryGetValue(uid, out var name))
        {
            // Misses are cached too, as the uid's text, so an unknown uid costs one lookup.
            name = MacNative.TryUserName(uid) is { Length: > 0 } found
                ? ProcFile.Truncate(found, 64)
                : uid.ToString(CultureInfo.InvariantCulture);
            _userNames[uid] = name;
        }

        return name;
    }

    private readonly record struct Reading(int Pid, ulong StartMicroseconds, ulong TotalMachUnits, ulong ResidentBytes, uint Threads);

    private readonly record struct Candidate(Reading Reading, ulong DeltaMachUnits);

    /// <summary>A process's name and command line, kept while it keeps its start time and name.</summary>
    private sealed record Details(ulong StartMicroseconds, byte[] RawName, string Name, string CommandLine);
}
