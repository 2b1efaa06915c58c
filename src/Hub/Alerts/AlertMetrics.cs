using SysMon.Protocol.V1;

namespace SysMon.Hub.Alerts;

/// <summary>One value of a metric in a sample: the instance names which mount, core, device or sensor ("" for one per machine).</summary>
public readonly record struct MetricValue(string Instance, double Value);

/// <summary>
/// A metric a rule can watch: its name (which carries its unit) and how to read it from a sample.
/// <paramref name="InHistory"/>: stored history keeps it, so a rule on it can be tested against the past.
/// </summary>
public sealed record AlertMetric(string Name, string Description, Func<Sample, IEnumerable<MetricValue>> Read, bool InHistory = true);

/// <summary>
/// Every metric rules can name. Each reads straight from a sample, so a rule sees exactly what the
/// charts show. Metrics with instances (a mount point, a core, an interface, a sensor) are evaluated per
/// instance: "disk_used_percent above 90" fires separately for / and /var. Pure.
/// </summary>
public static class AlertMetrics
{
    /// <summary>Not in samples: measured from the registry by the fleet's notifier hub, for the machine-offline rule.</summary>
    public const string SecondsSinceLastSample = "seconds_since_last_sample";

    /// <summary>Per watched name; the process-not-running rule fires when it drops to 0.</summary>
    public const string WatchedProcessRunning = "watched_process_count";

    private static IEnumerable<MetricValue> One(double value) => [new MetricValue("", value)];

    private static IEnumerable<MetricValue> None => [];

    public static readonly IReadOnlyDictionary<string, AlertMetric> All = new[]
    {
        new AlertMetric("cpu_percent", "CPU busy, % of all cores", s => s.Cpu is { } c ? One(c.TotalPercent) : None),
        new AlertMetric("cpu_core_percent", "CPU busy per core, %", s => s.Cpu is { } c
            ? c.CorePercent.Select((v, i) => new MetricValue("cpu" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), v))
            : None),
        new AlertMetric("cpu_iowait_percent", "CPU idle waiting for I/O, %", s => s.Cpu is { } c ? One(c.IowaitPercent) : None, InHistory: false),
        new AlertMetric("cpu_steal_percent", "CPU taken by the hypervisor, %", s => s.Cpu is { } c ? One(c.StealPercent) : None, InHistory: false),
        new AlertMetric("load1", "load average, 1 minute", s => s.Cpu is { } c ? One(c.Load1M) : None),
        new AlertMetric("load5", "load average, 5 minutes", s => s.Cpu is { } c ? One(c.Load5M) : None),
        new AlertMetric("load15", "load average, 15 minutes", s => s.Cpu is { } c ? One(c.Load15M) : None),
        new AlertMetric("memory_used_percent", "memory used (as `free` counts it), % of RAM", s => s.Memory is { TotalBytes: > 0 } m
            ? One(100.0 * m.UsedBytes / m.TotalBytes) : None),
        new AlertMetric("memory_available_percent", "memory available without swapping, % of RAM", s => s.Memory is { TotalBytes: > 0 } m
            ? One(100.0 * m.AvailableBytes / m.TotalBytes) : None),
        new AlertMetric("swap_used_percent", "swap used, % of swap", s => s.Memory is { SwapTotalBytes: > 0 } m
            ? One(100.0 * m.SwapUsedBytes / m.SwapTotalBytes) : None),
        new AlertMetric("disk_used_percent", "filesystem used, % of its size, per mount point", s => s.Filesystems
            .Where(f => f.TotalBytes > 0).Select(f => new MetricValue(f.MountPoint, 100.0 * f.UsedBytes / f.TotalBytes))),
        new AlertMetric("disk_free_bytes", "filesystem space available, bytes, per mount point", s => s.Filesystems
            .Select(f => new MetricValue(f.MountPoint, f.FreeBytes))),
        new AlertMetric("disk_read_bytes_per_second", "disk reads, bytes/s, per device", s => s.Disks.Select(d => new MetricValue(d.Device, d.ReadBytesPerSecond))),
        new AlertMetric("disk_write_bytes_per_second", "disk writes, bytes/s, per device", s => s.Disks.Select(d => new MetricValue(d.Device, d.WriteBytesPerSecond))),
        new AlertMetric("disk_busy_percent", "time the device had I/O in flight, %, per device", s => s.Disks.Select(d => new MetricValue(d.Device, d.BusyPercent))),
        new AlertMetric("network_rx_bytes_per_second", "received, bytes/s, per interface", s => s.NetworkInterfaces.Select(n => new MetricValue(n.Name, n.RxBytesPerSecond))),
        new AlertMetric("network_tx_bytes_per_second", "sent, bytes/s, per interface", s => s.NetworkInterfaces.Select(n => new MetricValue(n.Name, n.TxBytesPerSecond))),
        new AlertMetric("network_errors_per_second", "receive and transmit errors, per second, per interface", s => s.NetworkInterfaces
            .Select(n => new MetricValue(n.Name, n.RxErrorsPerSecond + n.TxErrorsPerSecond))),
        new AlertMetric("network_drops_per_second", "received and sent packets dropped, per second, per interface", s => s.NetworkInterfaces
            .Select(n => new MetricValue(n.Name, n.RxDropsPerSecond + n.TxDropsPerSecond))),
        new AlertMetric("temperature_celsius", "hardware temperature, °C, per sensor", s => s.Temperatures.Select(t => new MetricValue(t.Name, t.Celsius)), InHistory: false),
        new AlertMetric("gpu_utilization_percent", "GPU busy, %, per GPU", s => s.Gpus.Select(g => new MetricValue(GpuName(g), g.UtilizationPercent)), InHistory: false),
        new AlertMetric("gpu_memory_used_percent", "GPU memory used, %, per GPU", s => s.Gpus.Where(g => g.MemoryTotalBytes > 0)
            .Select(g => new MetricValue(GpuName(g), 100.0 * g.MemoryUsedBytes / g.MemoryTotalBytes)), InHistory: false),
        new AlertMetric("gpu_temperature_celsius", "GPU temperature, °C, per GPU", s => s.Gpus.Select(g => new MetricValue(GpuName(g), g.TemperatureCelsius)), InHistory: false),
        new AlertMetric("process_count", "processes on the host", s => One(s.ProcessCount), InHistory: false),
        new AlertMetric(WatchedProcessRunning, "running processes with a name the agent watches (--watch-processes), per name",
            s => s.WatchedProcesses.Select(w => new MetricValue(w.Name, w.Count)), InHistory: false),
        new AlertMetric(SecondsSinceLastSample, "seconds since the machine's last sample (checked every few seconds from the registry, not per sample)", _ => None,
            InHistory: false),
    }.ToDictionary(m => m.Name, StringComparer.Ordinal);

    private static string GpuName(GpuSample gpu) => "gpu" + gpu.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The finite values of <paramref name="metric"/> in <paramref name="sample"/>, optionally only one instance. Pure.</summary>
    public static IEnumerable<MetricValue> Read(string metric, Sample sample, string? instance = null) =>
        All.TryGetValue(metric, out var m)
            ? m.Read(sample).Where(v => double.IsFinite(v.Value) && (string.IsNullOrEmpty(instance) || v.Instance == instance))
            : [];
}
