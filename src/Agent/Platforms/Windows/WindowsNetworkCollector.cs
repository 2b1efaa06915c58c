using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// Traffic of every network adapter (GetIfTable2 / MIB_IF_ROW2 deltas), named by alias ("Ethernet", "Wi-Fi").
/// Which rows count is decided by <see cref="WindowsInterfaceTable.IsReported"/>.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class WindowsNetworkCollector : IMetricCollector
{
    // Keyed by LUID, which stays put while an adapter is renamed; the alias is only the display name.
    private Dictionary<ulong, NetDevCounters> _previous = [];
    private Dictionary<ulong, NetDevCounters> _current = [];

    /// <inheritdoc />
    public string Name => "network";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var error = WindowsNative.GetIfTable2(out var table);
        if (error != 0)
        {
            throw new System.ComponentModel.Win32Exception((int)error, "GetIfTable2 failed.");
        }

        _current.Clear();
        try
        {
            var rows = *(uint*)table;
            var bytes = WindowsInterfaceTable.TableRowsOffset + ((long)rows * WindowsInterfaceTable.RowSize);
            if (bytes > int.MaxValue)
            {
                throw new IOException("GetIfTable2 returned an implausible row count.");
            }

            var span = new ReadOnlySpan<byte>((void*)table, (int)bytes);
            var count = WindowsInterfaceTable.RowCount(span);
            for (var i = 0; i < count; i++)
            {
                var rowBytes = WindowsInterfaceTable.Row(span, i);
                var row = WindowsInterfaceTable.ParseRow(rowBytes);
                if (!WindowsInterfaceTable.IsReported(row))
                {
                    continue;
                }

                var alias = WindowsInterfaceTable.AliasOf(rowBytes);
                var hadBefore = _previous.TryGetValue(row.Luid, out var before);
                // The previous name string is reused while the alias stays the same: no allocation per sample.
                var name = hadBefore && alias.SequenceEqual(before.Name) ? before.Name : alias.ToString();
                var counters = WindowsInterfaceTable.ToCounters(name, row);
                _current[row.Luid] = counters;
                if (hadBefore && context.ElapsedSeconds > 0)
                {
                    sample.NetworkInterfaces.Add(NetworkCollector.ComputeRates(before, counters, context.ElapsedSeconds));
                }
            }
        }
        finally
        {
            WindowsNative.FreeMibTable(table);
        }

        (_previous, _current) = (_current, _previous);
    }
}
