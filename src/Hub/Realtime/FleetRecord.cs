using SysMon.Hub.Accounts;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Realtime;

/// <summary>
/// One machine in the fleet stream: a handful of numbers, written as a positional JSON array
/// (<c>[machineId, hostname, online, cpuPercent, memoryUsedPercent, diskUsedPercent,
/// networkRxBytesPerSecond, networkTxBytesPerSecond, uptimeSeconds, timestampUnixMs, load1m]</c>) of about
/// 100 bytes. New fields are only ever appended, so older dashboards keep reading the ones they know. Named properties made it 2.5 times larger, and every fleet viewer gets every machine
/// every few seconds: under the load benchmark the fleet stream was most of the bytes hubs wrote.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(FleetRecordJsonConverter))]
public sealed record FleetRecord(
    string MachineId,
    string Hostname,
    bool Online,
    double CpuPercent,
    double MemoryUsedPercent,
    double DiskUsedPercent,
    double NetworkRxBytesPerSecond,
    double NetworkTxBytesPerSecond,
    double UptimeSeconds,
    long TimestampUnixMs,
    double Load1m = 0)
{
    /// <summary>
    /// A record of every machine any hub has seen, from the registry: what a new fleet viewer gets first,
    /// over SignalR (<c>SubscribeFleet</c>) or REST (<c>GET api/fleet</c>).
    /// </summary>
    public static async Task<List<FleetRecord>> SnapshotAsync(IMachineRegistry registry, DateTimeOffset now, TimeSpan offlineAfter,
        IReadOnlySet<string>? restriction = null)
    {
        var machines = await registry.ListAsync(withLastSample: true);
        return machines.Visible(restriction).Select(m => From(m.Id, m.Hello.Hostname, m.IsOnline(now, offlineAfter), m.LastSample)).ToList();
    }

    public static FleetRecord From(string machineId, string hostname, bool online, Sample? sample)
    {
        if (sample is null)
        {
            return new FleetRecord(machineId, hostname, online, 0, 0, 0, 0, 0, 0, 0);
        }
        var memory = sample.Memory;
        double diskUsed = 0;
        foreach (var fs in sample.Filesystems)
        {
            if (fs.TotalBytes > 0)
            {
                diskUsed = Math.Max(diskUsed, 100.0 * fs.UsedBytes / fs.TotalBytes); // the fullest filesystem is the one that matters
            }
        }
        double rx = 0, tx = 0;
        foreach (var nic in sample.NetworkInterfaces)
        {
            rx += nic.RxBytesPerSecond;
            tx += nic.TxBytesPerSecond;
        }
        return new FleetRecord(machineId, hostname, online,
            Round(sample.Cpu?.TotalPercent ?? 0),
            memory is { TotalBytes: > 0 } ? Round(100.0 * memory.UsedBytes / memory.TotalBytes) : 0,
            Round(diskUsed), Math.Round(rx), Math.Round(tx), Math.Round(sample.UptimeSeconds), sample.TimestampUnixMs,
            Round(sample.Cpu?.Load1M ?? 0, 2));
    }

    private static double Round(double value, int digits = 1) => double.IsFinite(value) ? Math.Round(value, digits) : 0;
}

/// <summary>Writes <see cref="FleetRecord"/> as its positional array (see there for the order).</summary>
public sealed class FleetRecordJsonConverter : System.Text.Json.Serialization.JsonConverter<FleetRecord>
{
    public override FleetRecord Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        throw new System.Text.Json.JsonException("FleetRecord is sent by the hub, never received.");

    public override void Write(System.Text.Json.Utf8JsonWriter writer, FleetRecord value, System.Text.Json.JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteStringValue(value.MachineId);
        writer.WriteStringValue(value.Hostname);
        writer.WriteBooleanValue(value.Online);
        writer.WriteNumberValue(value.CpuPercent);
        writer.WriteNumberValue(value.MemoryUsedPercent);
        writer.WriteNumberValue(value.DiskUsedPercent);
        writer.WriteNumberValue(value.NetworkRxBytesPerSecond);
        writer.WriteNumberValue(value.NetworkTxBytesPerSecond);
        writer.WriteNumberValue(value.UptimeSeconds);
        writer.WriteNumberValue(value.TimestampUnixMs);
        writer.WriteNumberValue(value.Load1m);
        writer.WriteEndArray();
    }
}
