using System.Globalization;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>
/// CPU, memory, network and process count of every container (Docker, containerd, Podman, CRI-O), read from
/// its cgroup: v2 (unified) or v1, with the systemd or the cgroupfs driver.
/// </summary>
/// <remarks>
/// The cgroup tree is walked at most every <see cref="RediscoverInterval"/>; between walks each known container
/// costs a handful of small reads into kept buffers. Names come from the runtimes' metadata once per container
/// (<see cref="ContainerNames"/>). Network traffic is that of the container's network namespace, read through one
/// of its processes; a container on the host's network reports none, as the host's interfaces already carry it.
/// No cgroup filesystem, no containers or no permission to look is an empty list, never a failure.
/// </remarks>
internal sealed class ContainerCollector : IMetricCollector
{
    /// <summary>How often the set of containers is looked for again.</summary>
    internal static readonly TimeSpan RediscoverInterval = TimeSpan.FromSeconds(10);

    // Deepest container cgroup seen in practice: kubepods.slice/kubepods-burstable.slice/…-pod<uid>.slice/cri-…scope,
    // and rootless Podman under user.slice/user-1000.slice/user@1000.service/user.slice/libpod-….scope.
    private const int MaxWalkDepth = 8;

    private readonly ProcReader _reader = new();
    private readonly Dictionary<string, TrackedContainer> _byId = new(StringComparer.Ordinal);
    private readonly List<TrackedContainer> _containers = [];
    private HostPaths _paths;
    private long _nextDiscoveryMs = long.MinValue;
    private NetworkNamespaceId _hostNamespace;
    private int _generation;

    public ContainerCollector(HostPaths paths) => _paths = paths;

    /// <summary>The roots read; setting them (tests move between fixture trees) forces a new walk.</summary>
    internal HostPaths Paths
    {
        get => _paths;
        set
        {
            _paths = value;
            _nextDiscoveryMs = long.MinValue;
        }
    }

    /// <summary>Milliseconds of a monotonic clock; tests move it to cross <see cref="RediscoverInterval"/>.</summary>
    internal Func<long> NowMilliseconds { get; set; } = static () => Environment.TickCount64;

    /// <summary>Reads the network namespace of a /proc/PID folder; fixture tests stand in for the symlinks.</summary>
    internal Func<string, NetworkNamespaceId> ReadNamespace { get; set; } = NetworkNamespaces.Read;

    /// <inheritdoc />
    public string Name => "containers";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var now = NowMilliseconds();
        if (now >= _nextDiscoveryMs)
        {
            Discover();
            _nextDiscoveryMs = now + (long)RediscoverInterval.TotalMilliseconds;
        }

        var kept = 0;
        for (var i = 0; i < _containers.Count; i++)
        {
            var container = _containers[i];
            if (!TryRead(container, sample, context.ElapsedSeconds))
            {
                // Stopped between the walk and this read: dropped without a word, like an exited process.
                _byId.Remove(container.FullId);
                continue;
            }

            _containers[kept++] = container;
        }

        _containers.RemoveRange(kept, _containers.Count - kept);
    }

    /// <summary>
    /// The cgroup layout under <paramref name="paths"/>' sysfs: v2 when the root has cgroup.controllers, v1 when
    /// a cpuacct hierarchy is mounted; null when there is no cgroup filesystem.
    /// </summary>
    public static CgroupLayout? FindLayout(HostPaths paths)
    {
        var root = paths.Sys("fs/cgroup");
        if (File.Exists(Path.Join(root, "cgroup.controllers")))
        {
            return new CgroupLayout(true, root, root, root);
        }

        // v1 mounts cpu and cpuacct together as "cpu,cpuacct" with symlinks for each name; some distributions
        // mount only the combined name.
        foreach (var cpu in (ReadOnlySpan<string>)["cpuacct", "cpu,cpuacct", "cpuacct,cpu"])
        {
            var cpuRoot = Path.Join(root, cpu);
            if (Directory.Exists(cpuRoot))
            {
                return new CgroupLayout(false, cpuRoot, Path.Join(root, "memory"), Path.Join(root, "pids"));
            }
        }

        return null;
    }

    /// <summary>Every container cgroup below <paramref name="layout"/>'s CPU hierarchy, in walk order.</summary>
    public static List<ContainerCgroup> FindContainers(CgroupLayout layout)
    {
        var found = new List<ContainerCgroup>();
        Walk(layout.CpuRoot, string.Empty, 0, found);
        return found;
    }

    private static void Walk(string folder, string relative, int depth, List<ContainerCgroup> found)
    {
        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateDirectories(folder);
            foreach (var child in children)
            {
                var name = Path.GetFileName(child);
                var childRelative = relative.Length == 0 ? name : $"{relative}/{name}";
                if (ContainerCgroups.TryMatch(name, relative, out var fullId, out var runtime))
                {
                    // A container's own sub-cgroups (systemd inside it, for one) are part of it, not containers.
                    found.Add(new ContainerCgroup(fullId, runtime, childRelative));
                }
                else if (depth + 1 < MaxWalkDepth)
                {
                    Walk(child, childRelative, depth + 1, found);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cgroup removed during the walk, or one we may not list: what was found so far stands.
        }
    }

    private void Discover()
    {
        var generation = ++_generation;
        var layout = FindLayout(_paths);
        var found = layout is null ? [] : FindContainers(layout);
        Dictionary<string, string>? storageNames = null;
        _hostNamespace = ReadHostNamespace();
        _containers.Clear();
        foreach (var cgroup in found)
        {
            if (!_byId.TryGetValue(cgroup.FullId, out var container))
            {
                container = new TrackedContainer(cgroup.FullId, cgroup.Runtime,
                    ResolveName(cgroup, ref storageNames) ?? ContainerCgroups.ShortId(cgroup.FullId));
                _byId[cgroup.FullId] = container;
            }
            else if (container.Generation == generation)
            {
                continue; // the same id twice (a v1 tree with a path mounted twice): count it once
            }

            container.Generation = generation;
            container.Locate(layout!, cgroup.RelativePath);
            if (container.Network is not NetworkView.Own)
            {
                LocateNetwork(container);
            }

            _containers.Add(container);
        }

        foreach (var (id, container) in _byId)
        {
            if (container.Generation != generation)
            {
                _byId.Remove(id);
            }
        }

        _containers.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
    }

    private string? ResolveName(in ContainerCgroup cgroup, ref Dictionary<string, string>? storageNames)
    {
        // The cgroupfs driver under kubepods does not name its runtime: try both kinds of metadata.
        if (cgroup.Runtime is "docker" or "" && ContainerNames.ReadDockerName(_paths, cgroup.FullId) is { } dockerName)
        {
            return dockerName;
        }

        if (cgroup.Runtime is "podman" or "crio" or "")
        {
            storageNames ??= ContainerNames.ReadStorageNames(_paths);
            return storageNames.GetValueOrDefault(cgroup.FullId);
        }

        return null;
    }

    private NetworkNamespaceId ReadHostNamespace()
    {
        var host = ReadNamespace(_paths.Proc("1"));
        // Without ptrace access to pid 1 the agent's own namespace stands in, when it is the host's.
        return host.IsUnknown && !_paths.HostMountedIn ? ReadNamespace(_paths.Proc("self")) : host;
    }

    /// <summary>Picks a process of the container and decides whose network namespace it is in.</summary>
    private bool LocateNetwork(TrackedContainer container)
    {
        container.NetDevPath = null;
        container.Network = NetworkView.Unknown;
        var pid = _reader.TryReadText(container.ProcsPath, out var procs) ? CgroupFiles.FirstPid(procs) : 0;
        if (pid <= 0)
        {
            return false;
        }

        var folder = _paths.Proc(pid.ToString(CultureInfo.InvariantCulture));
        container.Network = NetworkNamespaceId.Same(ReadNamespace(folder), _hostNamespace) switch
        {
            true => NetworkView.Host,
            false => NetworkView.Own,
            // Not knowing, reporting the host's traffic as the container's would be worse than reporting none.
            null => NetworkView.Unknown,
        };
        if (container.Network is NetworkView.Own)
        {
            container.NetDevPath = ProcReader.NullTerminated(Path.Join(folder, "net/dev"));
        }

        return container.Network is NetworkView.Own;
    }

    private bool TryRead(TrackedContainer container, Sample sample, double elapsedSeconds)
    {
        if (!_reader.TryReadText(container.CpuPath, out var cpuText))
        {
            return false;
        }

        var cpuNanoseconds = container.IsV2
            ? CgroupFiles.ParseKeyedValue(cpuText, "usage_usec") * 1000
            : CgroupFiles.ParseSingleValue(cpuText);

        // Without a memory controller (rootless Podman without delegation) memory reads as 0.
        var usageBytes = _reader.TryReadText(container.MemoryUsagePath, out var usageText)
            ? CgroupFiles.ParseSingleValue(usageText)
            : 0;
        var inactiveFileBytes = _reader.TryReadText(container.MemoryStatPath, out var statText)
            ? CgroupFiles.ParseKeyedValue(statText, container.IsV2 ? "inactive_file" : "total_inactive_file")
            : 0;
        var limitBytes = _reader.TryReadText(container.MemoryLimitPath, out var limitText)
            ? container.IsV2 ? CgroupFiles.ParseV2Limit(limitText) : CgroupFiles.ParseV1Limit(limitText)
            : 0;

        // pids.current counts tasks (threads too), as docker stats' PIDS column does; cgroup.procs is the fallback
        // where the pids controller is off. Neither readable: the cgroup is gone.
        uint processCount;
        if (_reader.TryReadText(container.PidsPath, out var pidsText))
        {
            processCount = (uint)Math.Min(CgroupFiles.ParseSingleValue(pidsText), uint.MaxValue);
        }
        else if (_reader.TryReadText(container.ProcsPath, out var procsText))
        {
            processCount = CgroupFiles.CountLines(procsText);
        }
        else
        {
            return false;
        }

        var hasNetwork = TryReadNetwork(container, out var rxBytes, out var txBytes);
        if (container.Primed && elapsedSeconds > 0)
        {
            var network = hasNetwork && container.HasNetworkCounters;
            sample.Containers.Add(new ContainerSample
            {
                Id = ContainerCgroups.ShortId(container.FullId),
                Name = container.Name,
                Runtime = container.Runtime,
                // Nanoseconds of CPU per second of wall time, as a percentage of one core.
                CpuPercent = Counter.Delta(container.CpuNanoseconds, cpuNanoseconds) / elapsedSeconds / 1e7,
                // What docker stats shows: inactive page cache is the first thing reclaimed under pressure.
                MemoryUsedBytes = Counter.Delta(inactiveFileBytes, usageBytes),
                MemoryLimitBytes = limitBytes,
                RxBytesPerSecond = network ? Counter.Rate(container.RxBytes, rxBytes, elapsedSeconds) : 0,
                TxBytesPerSecond = network ? Counter.Rate(container.TxBytes, txBytes, elapsedSeconds) : 0,
                ProcessCount = processCount,
            });
        }

        container.Primed = true;
        container.CpuNanoseconds = cpuNanoseconds;
        container.HasNetworkCounters = hasNetwork;
        container.RxBytes = rxBytes;
        container.TxBytes = txBytes;
        return true;
    }

    private bool TryReadNetwork(TrackedContainer container, out ulong rxBytes, out ulong txBytes)
    {
        rxBytes = txBytes = 0;
        if (container.Network is not NetworkView.Own)
        {
            return false;
        }

        if (container.NetDevPath is not { } path || !_reader.TryReadText(path, out var text))
        {
            // The process read through exited: read through another of the container's, once; the next walk
            // tries again when there is none.
            if (!LocateNetwork(container) || !_reader.TryReadText(container.NetDevPath!, out text))
            {
                container.Network = NetworkView.Unknown;
                return false;
            }
        }

        foreach (var counters in NetworkCollector.ParseNetDev(text))
        {
            if (counters.Name != "lo")
            {
                rxBytes += counters.RxBytes;
                txBytes += counters.TxBytes;
            }
        }

        return true;
    }

    /// <summary>Whose network namespace a container's processes are in.</summary>
    private enum NetworkView
    {
        Unknown,
        Own,
        Host,
    }

    /// <summary>One container between walks: where its files are and its previous counters.</summary>
    private sealed class TrackedContainer(string fullId, string runtime, string name)
    {
        public string FullId { get; } = fullId;
        public string Runtime { get; } = runtime;
        public string Name { get; } = name;
        public int Generation { get; set; }
        public string RelativePath { get; private set; } = string.Empty;
        public CgroupLayout? Layout { get; private set; }
        public bool IsV2 { get; private set; }
        public byte[] CpuPath { get; private set; } = [];
        public byte[] MemoryUsagePath { get; private set; } = [];
        public byte[] MemoryStatPath { get; private set; } = [];
        public byte[] MemoryLimitPath { get; private set; } = [];
        public byte[] PidsPath { get; private set; } = [];
        public byte[] ProcsPath { get; private set; } = [];
        public NetworkView Network { get; set; }
        public byte[]? NetDevPath { get; set; }
        public bool Primed { get; set; }
        public ulong CpuNanoseconds { get; set; }
        public bool HasNetworkCounters { get; set; }
        public ulong RxBytes { get; set; }
        public ulong TxBytes { get; set; }

        /// <summary>Points the file paths at the cgroup's folder(s); a no-op when it has not moved.</summary>
        public void Locate(CgroupLayout layout, string relativePath)
        {
            if (layout == Layout && relativePath == RelativePath)
            {
                return;
            }

            Layout = layout;
            RelativePath = relativePath;
            IsV2 = layout.IsV2;
            var cpu = Path.Join(layout.CpuRoot, relativePath);
            var memory = Path.Join(layout.MemoryRoot, relativePath);
            var pids = Path.Join(layout.PidsRoot, relativePath);
            CpuPath = ProcReader.NullTerminated(Path.Join(cpu, IsV2 ? "cpu.stat" : "cpuacct.usage"));
            MemoryUsagePath = ProcReader.NullTerminated(Path.Join(memory, IsV2 ? "memory.current" : "memory.usage_in_bytes"));
            MemoryStatPath = ProcReader.NullTerminated(Path.Join(memory, "memory.stat"));
            MemoryLimitPath = ProcReader.NullTerminated(Path.Join(memory, IsV2 ? "memory.max" : "memory.limit_in_bytes"));
            PidsPath = ProcReader.NullTerminated(Path.Join(pids, "pids.current"));
            ProcsPath = ProcReader.NullTerminated(Path.Join(cpu, "cgroup.procs"));
            // A different folder may mean other processes: find the network again.
            Network = NetworkView.Unknown;
            NetDevPath = null;
        }
    }
}

/// <summary>Where a host's cgroup hierarchies are: one root for v2, one per controller for v1.</summary>
/// <param name="IsV2">cgroup v2 (unified).</param>
/// <param name="CpuRoot">The hierarchy walked for containers and read for CPU and cgroup.procs.</param>
/// <param name="MemoryRoot">The memory controller's hierarchy.</param>
/// <param name="PidsRoot">The pids controller's hierarchy.</param>
internal sealed record CgroupLayout(bool IsV2, string CpuRoot, string MemoryRoot, string PidsRoot);
