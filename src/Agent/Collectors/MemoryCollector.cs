using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>The /proc/meminfo fields the agent reports, in bytes.</summary>
internal readonly record struct MemInfo(
    ulong TotalBytes, ulong FreeBytes, ulong AvailableBytes, ulong BuffersBytes, ulong CachedBytes,
    ulong SReclaimableBytes, ulong SwapTotalBytes, ulong SwapFreeBytes);

/// <summary>The agent's own cgroup's memory files (cgroup v2), in bytes.</summary>
/// <param name="LimitBytes">memory.max; 0 when unlimited.</param>
/// <param name="CurrentBytes">memory.current: everything charged to the cgroup, page cache included.</param>
/// <param name="InactiveFileBytes">memory.stat inactive_file: page cache the kernel reclaims first.</param>
/// <param name="FileBytes">memory.stat file: all page cache charged to the cgroup.</param>
internal readonly record struct CgroupMemory(ulong LimitBytes, ulong CurrentBytes, ulong InactiveFileBytes, ulong FileBytes);

/// <summary>Physical memory and swap from /proc/meminfo.</summary>
/// <remarks>
/// In a container that reads its own /proc (no host root), /proc/meminfo still describes the whole host. When
/// the container's cgroup has a memory limit below the host's memory, the sample describes what the container
/// may use instead: total = the limit, used = memory.current − inactive_file (what <c>docker stats</c> shows).
/// </remarks>
/// <param name="cgroupAware">Apply the agent's own cgroup limit (see <see cref="ShouldUseOwnCgroup"/>).</param>
internal sealed class MemoryCollector(HostPaths paths, bool cgroupAware = false) : IMetricCollector
{
    internal HostPaths Paths { get; set; } = paths;

    private readonly ProcReader _reader = new();

    // The own cgroup's files, found on the first reading; null when there is none to apply.
    private bool _cgroupResolved = !cgroupAware;
    private OwnCgroupFiles? _cgroup;

    /// <inheritdoc />
    public string Name => "memory";

    /// <summary>
    /// Whether to describe the agent's container rather than the host: it runs in a container and reads its own
    /// /proc and /sys. With the host mounted in (--host-root or --proc-root) the host is what it should report.
    /// </summary>
    public static bool ShouldUseOwnCgroup(HostPaths paths) => paths.IsOwnView && ContainerDetection.IsInContainer();

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var memory = ToSample(ParseMeminfo(_reader.ReadText(Paths.Proc("meminfo"))));
        if (!_cgroupResolved)
        {
            ResolveOwnCgroup();
        }

        if (_cgroup is { } files && TryReadOwnCgroup(files, out var cgroup))
        {
            memory = ApplyCgroupLimit(memory, cgroup);
        }

        sample.Memory = memory;
    }

    /// <summary>
    /// The host's numbers narrowed to a cgroup's limit when that limit is below the host's memory; otherwise
    /// <paramref name="host"/> unchanged. Swap stays the host's.
    /// </summary>
    public static MemorySample ApplyCgroupLimit(MemorySample host, in CgroupMemory cgroup)
    {
        var limit = cgroup.LimitBytes;
        if (limit == 0 || limit >= host.TotalBytes)
        {
            return host;
        }

        var used = Math.Min(Counter.Delta(cgroup.InactiveFileBytes, cgroup.CurrentBytes), limit);
        return new MemorySample
        {
            TotalBytes = limit,
            UsedBytes = used,
            // What the container can still get is bounded by its limit and by what the host has left.
            AvailableBytes = Math.Min(limit - used, host.AvailableBytes),
            FreeBytes = Math.Min(Counter.Delta(cgroup.CurrentBytes, limit), host.FreeBytes),
            // Buffers are the host kernel's; the cgroup's page cache is its "file".
            BuffersBytes = 0,
            CachedBytes = Math.Min(cgroup.FileBytes, cgroup.CurrentBytes),
            SwapTotalBytes = host.SwapTotalBytes,
            SwapUsedBytes = host.SwapUsedBytes,
        };
    }

    /// <summary>
    /// The folder of the agent's own cgroup v2 under <paramref name="paths"/>' sysfs, given /proc/self/cgroup's
    /// text; null on a v1-only host or when the folder has no memory.max (the root cgroup, no memory controller).
    /// </summary>
    public static string? FindOwnCgroupFolder(HostPaths paths, ReadOnlySpan<char> selfCgroup, Func<string, bool> fileExists)
    {
        if (CgroupFiles.ParseV2Path(selfCgroup) is not { } path)
        {
            return null;
        }

        var root = paths.Sys("fs/cgroup");
        // With a private cgroup namespace (Docker's default on v2) the path is "/" and the mount's root is the
        // container's cgroup; with the host's namespace the whole tree is mounted and the path leads to it.
        var relative = path.Trim('/');
        string[] candidates = relative.Length == 0 || relative.Contains("..", StringComparison.Ordinal)
            ? [root]
            : [Path.Join(root, relative), root];
        foreach (var folder in candidates)
        {
            if (fileExists(Path.Join(folder, "memory.max")))
            {
                return folder;
            }
        }

        return null;
    }

    private void ResolveOwnCgroup()
    {
        _cgroupResolved = true;
        if (_reader.TryReadText(Paths.Proc("self/cgroup"), out var selfCgroup)
            && FindOwnCgroupFolder(Paths, selfCgroup, File.Exists) is { } folder)
        {
            _cgroup = new OwnCgroupFiles(
                ProcReader.NullTerminated(Path.Join(folder, "memory.max")),
                ProcReader.NullTerminated(Path.Join(folder, "memory.current")),
                ProcReader.NullTerminated(Path.Join(folder, "memory.stat")));
        }
    }

    private bool TryReadOwnCgroup(OwnCgroupFiles files, out CgroupMemory cgroup)
    {
        cgroup = default;
        if (!_reader.TryReadText(files.Max, out var maxText))
        {
            return false;
        }

        var limit = CgroupFiles.ParseV2Limit(maxText);
        if (limit == 0 || !_reader.TryReadText(files.Current, out var currentText))
        {
            return false;
        }

        var current = CgroupFiles.ParseSingleValue(currentText);
        ulong inactiveFile = 0, file = 0;
        if (_reader.TryReadText(files.Stat, out var statText))
        {
            inactiveFile = CgroupFiles.ParseKeyedValue(statText, "inactive_file");
            file = CgroupFiles.ParseKeyedValue(statText, "file");
        }

        cgroup = new CgroupMemory(limit, current, inactiveFile, file);
        return true;
    }

    /// <summary>Parses /proc/meminfo ("MemTotal:       16314748 kB"); missing fields read as 0.</summary>
    public static MemInfo ParseMeminfo(ReadOnlySpan<char> text)
    {
        ulong total = 0, free = 0, available = 0, buffers = 0, cached = 0, reclaimable = 0, swapTotal = 0, swapFree = 0;
        foreach (var line in text.EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var key = line[..colon];
            var fields = new FieldReader(line[(colon + 1)..]);
            fields.TryNext(out var number);
            // Every size line is in kB (which the kernel means as KiB); HugePages_* counts have no unit.
            var hasKb = fields.TryNext(out var unit) && unit.SequenceEqual("kB");
            var bytes = ProcFile.ParseUInt64(number) * (hasKb ? 1024UL : 1UL);
            switch (key)
            {
                case "MemTotal": total = bytes; break;
                case "MemFree": free = bytes; break;
                case "MemAvailable": available = bytes; break;
                case "Buffers": buffers = bytes; break;
                case "Cached": cached = bytes; break;
                case "SReclaimable": reclaimable = bytes; break;
                case "SwapTotal": swapTotal = bytes; break;
                case "SwapFree": swapFree = bytes; break;
            }
        }

        return new MemInfo(total, free, available, buffers, cached, reclaimable, swapTotal, swapFree);
    }

    /// <summary>Derives the wire fields the way <c>free</c> does: cached includes reclaimable slab.</summary>
    public static MemorySample ToSample(in MemInfo info)
    {
        var cached = info.CachedBytes + info.SReclaimableBytes;
        var unused = info.FreeBytes + info.BuffersBytes + cached;
        return new MemorySample
        {
            TotalBytes = info.TotalBytes,
            // Saturate: the fields are read at slightly different moments and can add up past the total.
            UsedBytes = info.TotalBytes > unused ? info.TotalBytes - unused : 0,
            AvailableBytes = info.AvailableBytes,
            FreeBytes = info.FreeBytes,
            BuffersBytes = info.BuffersBytes,
            CachedBytes = cached,
            SwapTotalBytes = info.SwapTotalBytes,
            SwapUsedBytes = Counter.Delta(info.SwapFreeBytes, info.SwapTotalBytes),
        };
    }

    private sealed record OwnCgroupFiles(byte[] Max, byte[] Current, byte[] Stat);
}
