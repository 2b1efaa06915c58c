using SysMon.Agent.Native;

namespace SysMon.Agent.Collectors;

/// <summary>Which /proc/PID file <see cref="ProcessFiles"/> reads.</summary>
internal enum ProcessFile
{
    Stat,
    Status,
    CommandLine,
}

/// <summary>
/// Keeps each process's /proc/PID/stat open between samples (and status and cmdline while it is in the top N),
/// re-reading it with one pread from offset 0.
/// </summary>
/// <remarks>
/// <para>
/// Opening a /proc/PID file walks the path and allocates a dentry, inode and file every time; open, read, read
/// (for the 0 that marks the end) and close were four system calls per process per second, most of the agent's
/// CPU time on a host with hundreds of processes (bench/README.md, "Agent footprint"). A kept descriptor costs
/// one pread. htop keeps nothing open either way; this is cheaper than both ps and top.
/// </para>
/// <para>
/// A descriptor belongs to the process, not to its number: once the process is gone every read fails with
/// ESRCH, even after a new process takes the pid. A failed read therefore closes the descriptors and, for stat,
/// tries one fresh open (the number's new owner). Processes not seen in a sample are closed in
/// <see cref="EndSample"/>. At most <see cref="Capacity"/> processes are kept (bounded by RLIMIT_NOFILE); past
/// that, files are opened, read and closed each time, as before.
/// </para>
/// <para>Not thread-safe, like the collector that owns it.</para>
/// </remarks>
internal sealed class ProcessFiles : IDisposable
{
    /// <summary>Descriptors left for everything else the process opens (sockets, the hub connection, sysfs).</summary>
    internal const int ReservedDescriptors = 256;

    /// <summary>At most this many processes keep descriptors, however high the limit.</summary>
    internal const int MaxCapacity = 16384;

    private readonly Dictionary<int, Entry> _entries = [];
    private readonly Stack<Entry> _spare = new();
    private int _generation;
    private bool _disposed;

    /// <param name="capacity">How many processes may keep descriptors; by default what RLIMIT_NOFILE allows.</param>
    public ProcessFiles(int? capacity = null)
    {
        Capacity = capacity ?? CapacityFor(LibC.OpenFileLimit());
    }

    ~ProcessFiles() => CloseAll();

    /// <summary>How many processes may keep descriptors open.</summary>
    public int Capacity { get; }

    /// <summary>How many processes hold descriptors now.</summary>
    public int KeptProcesses => _entries.Count;

    /// <summary>How many descriptors are open now (stat for each kept process, status and cmdline for a few).</summary>
    public int OpenDescriptors
    {
        get
        {
            var count = 0;
            foreach (var entry in _entries.Values)
            {
                count += (entry.Stat >= 0 ? 1 : 0) + (entry.Status >= 0 ? 1 : 0) + (entry.CommandLine >= 0 ? 1 : 0);
            }

            return count;
        }
    }

    /// <summary>
    /// Processes that may keep descriptors under a soft limit of <paramref name="openFileLimit"/>: each kept
    /// process holds one (three while in the top N, at most 100 of them).
    /// </summary>
    public static int CapacityFor(long openFileLimit) =>
        (int)Math.Clamp(openFileLimit - ReservedDescriptors - (2 * AgentOptions.MaxTopProcesses), 0, MaxCapacity);

    /// <summary>
    /// Raises this process's soft RLIMIT_NOFILE as far as the hard limit allows toward what
    /// <see cref="MaxCapacity"/> processes need (systemd's default soft limit, 1024, would keep about 560).
    /// </summary>
    public static void RaiseDescriptorLimit() =>
        LibC.RaiseOpenFileLimit(MaxCapacity + ReservedDescriptors + (2 * AgentOptions.MaxTopProcesses));

    /// <summary>Starts a sample: processes whose stat is not read before <see cref="EndSample"/> are closed then.</summary>
    public void BeginSample() => _generation++;

    /// <summary>
    /// Reads <paramref name="file"/> of process <paramref name="pid"/> into <paramref name="buffer"/>; the byte count,
    /// or -1 when the process is gone (or the file unreadable). <paramref name="path"/> (NUL-terminated) is used
    /// only when the file has to be opened.
    /// </summary>
    public int Read(int pid, ProcessFile file, ReadOnlySpan<byte> path, ref byte[] buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_entries.TryGetValue(pid, out var entry))
        {
            if (file != ProcessFile.Stat || _entries.Count >= Capacity)
            {
                // Details of a process whose stat is not kept (over capacity): read the old way.
                return RawFile.ReadAll(path, ref buffer);
            }

            entry = _spare.TryPop(out var spare) ? spare : new Entry();
            _entries[pid] = entry;
        }

        if (file == ProcessFile.Stat)
        {
            entry.Generation = _generation;
        }
        else
        {
            entry.DetailGeneration = _generation;
        }

        ref var fd = ref entry.Descriptor(file);
        var reopened = false;
        if (fd < 0)
        {
            fd = RawFile.OpenReadOnly(path);
            reopened = true;
        }

        var count = fd >= 0 ? RawFile.ReadFromStart(fd, ref buffer, shortReadIsEnd: true) : -1;
        if (count >= 0)
        {
            return count;
        }

        // The process this entry was opened for is gone. Its number may already belong to a new process, whose
        // stat is worth one fresh open (details are only read right after stat, so stat has already re-opened).
        Remove(pid, entry);
        return !reopened && file == ProcessFile.Stat ? Read(pid, file, path, ref buffer) : -1;
    }

    /// <summary>
    /// Ends a sample: closes the descriptors of processes whose stat was not read in it (gone, or past the
    /// listing), and the status and cmdline descriptors of processes that left the top N.
    /// </summary>
    public void EndSample()
    {
        // Removing while enumerating is allowed for Dictionary since .NET Core 3.0; no list of keys to allocate.
        foreach (var (pid, entry) in _entries)
        {
            if (entry.Generation != _generation)
            {
                Remove(pid, entry);
            }
            else if (entry.DetailGeneration != _generation)
            {
                entry.CloseDetails();
            }
        }
    }

    /// <summary>Closes every descriptor (when the /proc being read changes, or on dispose).</summary>
    public void Clear()
    {
        foreach (var (pid, entry) in _entries)
        {
            Remove(pid, entry);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Clear();
            GC.SuppressFinalize(this);
        }
    }

    private void Remove(int pid, Entry entry)
    {
        entry.CloseAll();
        _entries.Remove(pid);
        _spare.Push(entry);
    }

    // The finalizer's last resort: a collector dropped without Dispose must not leak a descriptor per process.
    private void CloseAll()
    {
        foreach (var entry in _entries.Values)
        {
            entry.CloseAll();
        }
    }

    private sealed class Entry
    {
        public int Stat = -1;
        public int Status = -1;
        public int CommandLine = -1;
        public int Generation;
        public int DetailGeneration;

        public ref int Descriptor(ProcessFile file)
        {
            switch (file)
            {
                case ProcessFile.Stat:
                    return ref Stat;
                case ProcessFile.Status:
                    return ref Status;
                default:
                    return ref CommandLine;
            }
        }

        public void CloseDetails()
        {
            Close(ref Status);
            Close(ref CommandLine);
        }

        public void CloseAll()
        {
            Close(ref Stat);
            CloseDetails();
        }

        private static void Close(ref int fd)
        {
            if (fd >= 0)
            {
                RawFile.CloseFile(fd);
                fd = -1;
            }
        }
    }
}
