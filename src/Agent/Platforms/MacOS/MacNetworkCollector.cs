using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>
/// Traffic of every interface except loopback, from the 64-bit if_data64 counters of sysctl NET_RT_IFLIST2
/// (getifaddrs's if_data has 32-bit byte counters, which wrap within a minute at gigabit speed).
/// </summary>
[SupportedOSPlatform("macos")]
internal sealed class MacNetworkCollector : IMetricCollector
{
    private const int IffLoopback = 0x8; // <net/if.h>

    private readonly List<MacInterfaceCounters> _interfaces = [];
    private byte[] _buffer = new byte[16 * 1024];
    private Dictionary<ushort, NetDevCounters> _previous = [];
    private Dictionary<ushort, NetDevCounters> _current = [];

    /// <inheritdoc />
    public string Name => "network";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var length = MacNative.ReadInterfaceList(ref _buffer);
        var data = _buffer.AsSpan(0, length);
        MacStructs.ParseInterfaceList(data, _interfaces);
        _current.Clear();
        foreach (var raw in _interfaces)
        {
            if ((raw.Flags & IffLoopback) != 0)
            {
                continue;
            }

            // Keyed by interface index; the name string is reused while the index keeps its name.
            var known = _previous.TryGetValue(raw.Index, out var before);
            var name = known && NameMatches(data, raw, before.Name) ? before.Name : MacStructs.InterfaceName(data, raw);
            var counters = new NetDevCounters(
                name, raw.RxBytes, raw.RxPackets, raw.RxErrors, raw.RxDrops,
                raw.TxBytes, raw.TxPackets, raw.TxErrors, raw.TxDrops);
            _current[raw.Index] = counters;
            if (known && context.ElapsedSeconds > 0 && ReferenceEquals(name, before.Name))
            {
                sample.NetworkInterfaces.Add(NetworkCollector.ComputeRates(before, counters, context.ElapsedSeconds));
            }
        }

        (_previous, _current) = (_current, _previous);
    }

    private static bool NameMatches(ReadOnlySpan<byte> data, in MacInterfaceCounters raw, string name)
    {
        if (raw.NameLength != name.Length)
        {
            return false;
        }

        var bytes = data.Slice(raw.NameOffset, raw.NameLength);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != name[i])
            {
                return false;
            }
        }

        return true;
    }
}
