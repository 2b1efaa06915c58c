using SysMon.Protocol.V1;

namespace SysMon.Hub.Realtime;

/// <summary>
/// One machine in the fleet stream: a handful of numbers, about 250 bytes of JSON, so a fleet view of
/// thousands of machines costs kilobytes per update instead of the megabytes of full samples.
/// </summary>
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
    long TimestampUnixMs)
{
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
            Round(diskUsed), Math.Round(rx), Math.Round(tx), Math.Round(sample.UptimeSeconds), sample.TimestampUnixMs);
    }

    private static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 1) : 0;
}
