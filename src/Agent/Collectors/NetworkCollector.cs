using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>The /proc/net/dev counters the agent reports.</summary>
internal readonly record struct NetDevCounters(
    string Name,
    ulong RxBytes, ulong RxPackets, ulong RxErrors, ulong RxDrops,
    ulong TxBytes, ulong TxPackets, ulong TxErrors, ulong TxDrops);

/// <summary>Traffic of every network interface except loopback (/proc/net/dev deltas).</summary>
/// <remarks>With the host mounted in, the host's interfaces are pid 1's (/proc/1/net/dev): /proc/net/dev lists
/// those of the reading process's network namespace, the agent's container.</remarks>
internal sealed class NetworkCollector(HostPaths paths) : IMetricCollector
{
    private Dictionary<string, NetDevCounters> _previous = new(StringComparer.Ordinal);
    private Dictionary<string, NetDevCounters> _current = new(StringComparer.Ordinal);
    private readonly List<NetDevCounters> _parsed = [];
    private readonly NameCache _names = new();

    internal HostPaths Paths { get; set; } = paths;

    /// <inheritdoc />
    public string Name => "network";

    private readonly ProcReader _reader = new();

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var text = _reader.ReadText(Paths.HostNamespaceProc("net/dev"));
        _current.Clear();
        _parsed.Clear();
        foreach (var counters in ParseNetDev(text, _parsed, _names))
        {
            // Loopback traffic is the host talking to itself (the agent to a local hub, for one).
            if (counters.Name == "lo")
            {
                continue;
            }

            _current[counters.Name] = counters;
            if (context.ElapsedSeconds > 0 && _previous.TryGetValue(counters.Name, out var before))
            {
                sample.NetworkInterfaces.Add(ComputeRates(before, counters, context.ElapsedSeconds));
            }
        }

        (_previous, _current) = (_current, _previous);
    }

    /// <summary>
    /// Parses /proc/net/dev. Old kernels glue large byte counts to the colon ("eth0:1234567 …"), so the name
    /// is split at the colon rather than at whitespace.
    /// </summary>
    public static List<NetDevCounters> ParseNetDev(ReadOnlySpan<char> text) => ParseNetDev(text, [], new NameCache());

    /// <summary>Parses /proc/net/dev into <paramref name="result"/>, names from <paramref name="names"/> (no allocation once warm).</summary>
    public static List<NetDevCounters> ParseNetDev(ReadOnlySpan<char> text, List<NetDevCounters> result, NameCache names)
    {
        foreach (var line in text.EnumerateLines())
        {
            // The two header lines have no colon; interface names cannot contain one.
            var colon = line.IndexOf(':');
            if (colon < 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            if (name.IsEmpty)
            {
                continue;
            }

            var fields = new FieldReader(line[(colon + 1)..]);
            var rxBytes = fields.NextUInt64();
            var rxPackets = fields.NextUInt64();
            var rxErrors = fields.NextUInt64();
            var rxDrops = fields.NextUInt64();
            fields.Skip(4); // fifo, frame, compressed, multicast
            var txBytes = fields.NextUInt64();
            var txPackets = fields.NextUInt64();
            var txErrors = fields.NextUInt64();
            var txDrops = fields.NextUInt64();
            result.Add(new NetDevCounters(
                names.Get(name), rxBytes, rxPackets, rxErrors, rxDrops, txBytes, txPackets, txErrors, txDrops));
        }

        return result;
    }

    /// <summary>Rates between two readings of one interface, plus the current error and drop totals.</summary>
    public static NetworkInterfaceSample ComputeRates(in NetDevCounters previous, in NetDevCounters current, double elapsedSeconds) =>
        new()
        {
            Name = current.Name,
            RxBytesPerSecond = Counter.Rate(previous.RxBytes, current.RxBytes, elapsedSeconds),
            TxBytesPerSecond = Counter.Rate(previous.TxBytes, current.TxBytes, elapsedSeconds),
            RxPacketsPerSecond = Counter.Rate(previous.RxPackets, current.RxPackets, elapsedSeconds),
            TxPacketsPerSecond = Counter.Rate(previous.TxPackets, current.TxPackets, elapsedSeconds),
            RxErrorsPerSecond = Counter.Rate(previous.RxErrors, current.RxErrors, elapsedSeconds),
            TxErrorsPerSecond = Counter.Rate(previous.TxErrors, current.TxErrors, elapsedSeconds),
            RxDropsPerSecond = Counter.Rate(previous.RxDrops, current.RxDrops, elapsedSeconds),
            TxDropsPerSecond = Counter.Rate(previous.TxDrops, current.TxDrops, elapsedSeconds),
            RxErrorsTotal = current.RxErrors,
            TxErrorsTotal = current.TxErrors,
            RxDropsTotal = current.RxDrops,
            TxDropsTotal = current.TxDrops,
        };
}
