using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>The /proc/diskstats counters the agent turns into rates.</summary>
internal readonly record struct DiskCounters(
    string Name, ulong ReadsCompleted, ulong SectorsRead, ulong WritesCompleted, ulong SectorsWritten, ulong IoTicksMs);

/// <summary>Throughput and busy time of whole block devices (/proc/diskstats deltas).</summary>
internal sealed class DiskIoCollector(HostPaths paths) : IMetricCollector
{
    // diskstats counts in 512-byte sectors whatever the device's real sector size.
    private const double BytesPerSector = 512;

    // Memory-backed, loop, floppy and optical devices are not disks anyone watches.
    private static readonly string[] s_ignoredPrefixes = ["loop", "ram", "zram", "fd", "sr"];

    private Dictionary<string, DiskCounters> _previous = new(StringComparer.Ordinal);
    private Dictionary<string, DiskCounters> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _isWholeDevice = new(StringComparer.Ordinal);
    private readonly List<DiskCounters> _parsed = [];
    private readonly NameCache _names = new();

    internal HostPaths Paths { get; set; } = paths;

    /// <inheritdoc />
    public string Name => "disks";

    private readonly ProcReader _reader = new();

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var text = _reader.ReadText(Paths.Proc("diskstats"));
        _current.Clear();
        _parsed.Clear();
        foreach (var disk in ParseDiskstats(text, _parsed, _names))
        {
            if (!IsReported(disk.Name))
            {
                continue;
            }

            _current[disk.Name] = disk;
            // A device that appeared since the last reading has no window yet; it is reported next time.
            if (context.ElapsedSeconds > 0 && _previous.TryGetValue(disk.Name, out var before))
            {
                sample.Disks.Add(ComputeRates(before, disk, context.ElapsedSeconds));
            }
        }

        (_previous, _current) = (_current, _previous);
    }

    /// <summary>Parses /proc/diskstats ("254 0 vda 29712 6501 2065634 11629 7750 …").</summary>
    public static List<DiskCounters> ParseDiskstats(ReadOnlySpan<char> text) => ParseDiskstats(text, [], new NameCache());

    /// <summary>Parses /proc/diskstats into <paramref name="result"/>, names from <paramref name="names"/> (no allocation once warm).</summary>
    public static List<DiskCounters> ParseDiskstats(ReadOnlySpan<char> text, List<DiskCounters> result, NameCache names)
    {
        foreach (var line in text.EnumerateLines())
        {
            var fields = new FieldReader(line);
            fields.Skip(2); // major, minor
            if (!fields.TryNext(out var name))
            {
                continue;
            }

            var reads = fields.NextUInt64();
            fields.Skip(1); // reads merged
            var sectorsRead = fields.NextUInt64();
            fields.Skip(1); // ms reading
            var writes = fields.NextUInt64();
            fields.Skip(1); // writes merged
            var sectorsWritten = fields.NextUInt64();
            fields.Skip(2); // ms writing, I/Os in progress
            var ioTicks = fields.NextUInt64();
            result.Add(new DiskCounters(names.Get(name), reads, sectorsRead, writes, sectorsWritten, ioTicks));
        }

        return result;
    }

    /// <summary>Rates between two readings of one device; busy % is io_ticks over the window, capped at 100.</summary>
    public static DiskIoSample ComputeRates(in DiskCounters previous, in DiskCounters current, double elapsedSeconds)
    {
        var busyMs = Counter.Delta(previous.IoTicksMs, current.IoTicksMs);
        return new DiskIoSample
        {
            Device = current.Name,
            ReadBytesPerSecond = Counter.Rate(previous.SectorsRead, current.SectorsRead, elapsedSeconds) * BytesPerSector,
            WriteBytesPerSecond = Counter.Rate(previous.SectorsWritten, current.SectorsWritten, elapsedSeconds) * BytesPerSector,
            ReadsPerSecond = Counter.Rate(previous.ReadsCompleted, current.ReadsCompleted, elapsedSeconds),
            WritesPerSecond = Counter.Rate(previous.WritesCompleted, current.WritesCompleted, elapsedSeconds),
            // io_ticks is sampled on jiffies, so it can run slightly ahead of our own clock.
            BusyPercent = elapsedSeconds > 0 ? Math.Min(100, busyMs / (elapsedSeconds * 10)) : 0,
        };
    }

    /// <summary>Whether a diskstats name is a device worth reporting (not loop/ram/zram/floppy/optical).</summary>
    public static bool IsReportableName(string name)
    {
        foreach (var prefix in s_ignoredPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return name.Length > 0;
    }

    private bool IsReported(string name)
    {
        if (!_isWholeDevice.TryGetValue(name, out var whole))
        {
            // Whole devices have an entry in /sys/block, partitions do not; '/' in a name is '!' there
            // (cciss/c0d0 is /sys/block/cciss!c0d0).
            var sysName = Paths.Sys(Path.Join("block", name.Replace('/', '!')));
            whole = IsReportableName(name) && (Directory.Exists(sysName) || File.Exists(sysName));
            _isWholeDevice[name] = whole;
        }

        return whole;
    }
}
