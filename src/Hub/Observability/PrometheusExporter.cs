using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using SysMon.Hub.Ingest;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Observability;

/// <summary>
/// GET /metrics in the Prometheus text format: every machine's latest values, named as node_exporter
/// names them where it has a counterpart (so its Grafana dashboards and alert rules carry over), with
/// <c>sysmon_</c> names for what only SysMon measures, plus this hub's own figures.
/// Machine series carry <c>instance</c> (the host name, as node_exporter targets have), <c>machine</c> (the id);
/// scrape with <c>honor_labels: true</c> so Prometheus keeps them.
/// </summary>
public static class PrometheusExporter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapPrometheusMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (IMachineRegistry registry, HubMetrics metrics, AgentSessions sessions, IOptions<HubOptions> options,
            TimeProvider time, HubInstance instance, System.Security.Claims.ClaimsPrincipal user) =>
        {
            IReadOnlyList<MachineRecord>? machines = null;
            try
            {
                machines = [.. Accounts.MachineAccess.Visible(await registry.ListAsync(withLastSample: true), Accounts.MachineAccess.Restriction(user))];
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                // The hub's own figures still matter (they say Redis is down); machine series are left out.
            }
            return Results.Text(Write(machines, metrics, sessions.Count, instance.Id, time.GetUtcNow(), options.Value.OfflineAfter), ContentType);
        });
        return app;
    }

    public static string Write(IReadOnlyList<MachineRecord>? machines, HubMetrics hub, int agentStreams, string hubId, DateTimeOffset now, TimeSpan offlineAfter)
    {
        var text = new StringBuilder(64 * 1024);
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        void Add(string name, string type, string help, string labels, double value)
        {
            if (!families.TryGetValue(name, out var family))
            {
                families[name] = family = new Family(type, help, []);
            }
            family.Lines.Add((labels, value));
        }

        foreach (var m in machines ?? [])
        {
            var h = m.Hello;
            var id = $"instance=\"{Escape(h.Hostname)}\",machine=\"{Escape(h.MachineId)}\"";
            Add("sysmon_machine_up", "gauge", "1 when the machine's agent is connected and recently heard from.", id, m.IsOnline(now, offlineAfter) ? 1 : 0);
            Add("node_uname_info", "gauge", "Labeled system information as provided by the agent's hello.",
                $"{id},nodename=\"{Escape(h.Hostname)}\",release=\"{Escape(h.KernelVersion)}\",machine_arch=\"{Escape(h.Architecture)}\",os=\"{Escape(h.OsName)}\",os_version=\"{Escape(h.OsVersion)}\"", 1);
            if (h.BootTimeUnixSeconds > 0)
            {
                Add("node_boot_time_seconds", "gauge", "Node boot time, in unixtime.", id, h.BootTimeUnixSeconds);
            }
            if (m.LastSeen is { } seen)
            {
                Add("sysmon_machine_last_seen_timestamp_seconds", "gauge", "When a hub last heard from the machine, in unixtime.", id, seen.ToUnixTimeMilliseconds() / 1000.0);
            }
            if (m.LastSample is not { } s)
            {
                continue;
            }
            Add("sysmon_sample_timestamp_seconds", "gauge", "Time of the latest sample, in unixtime.", id, s.TimestampUnixMs / 1000.0);
            Add("sysmon_agent_buffer_dropped_total", "counter", "Samples the agent dropped because its replay buffer was full.", id, s.BufferDroppedTotal);
            if (s.Cpu is { } cpu)
            {
                Add("sysmon_cpu_usage_percent", "gauge", "CPU busy over the last interval, % of all cores.", id, cpu.TotalPercent);
                foreach (var (mode, value) in new[] { ("user", cpu.UserPercent), ("system", cpu.SystemPercent), ("iowait", cpu.IowaitPercent), ("steal", cpu.StealPercent), ("idle", cpu.IdlePercent) })
                {
                    Add("sysmon_cpu_mode_percent", "gauge", "CPU time by mode over the last interval, % of all cores.", $"{id},mode=\"{mode}\"", value);
                }
                for (var i = 0; i < cpu.CorePercent.Count; i++)
                {
                    Add("sysmon_cpu_core_usage_percent", "gauge", "Per-core CPU busy over the last interval, %.", $"{id},cpu=\"{i}\"", cpu.CorePercent[i]);
                }
                for (var i = 0; i < cpu.CoreFrequencyMhz.Count; i++)
                {
                    Add("node_cpu_scaling_frequency_hertz", "gauge", "Current scaled CPU thread frequency in hertz.", $"{id},cpu=\"{i}\"", cpu.CoreFrequencyMhz[i] * 1e6);
                }
                Add("node_load1", "gauge", "1m load average.", id, cpu.Load1M);
                Add("node_load5", "gauge", "5m load average.", id, cpu.Load5M);
                Add("node_load15", "gauge", "15m load average.", id, cpu.Load15M);
            }
            if (s.Memory is { } mem)
            {
                Add("node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.", id, mem.TotalBytes);
                Add("node_memory_MemFree_bytes", "gauge", "Memory information field MemFree_bytes.", id, mem.FreeBytes);
                Add("node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes.", id, mem.AvailableBytes);
                Add("node_memory_Buffers_bytes", "gauge", "Memory information field Buffers_bytes.", id, mem.BuffersBytes);
                Add("node_memory_Cached_bytes", "gauge", "Memory information field Cached_bytes (page cache and reclaimable slab, as SysMon reports cached).", id, mem.CachedBytes);
                Add("node_memory_SwapTotal_bytes", "gauge", "Memory information field SwapTotal_bytes.", id, mem.SwapTotalBytes);
                Add("node_memory_SwapFree_bytes", "gauge", "Memory information field SwapFree_bytes.", id, mem.SwapTotalBytes - Math.Min(mem.SwapTotalBytes, mem.SwapUsedBytes));
                Add("sysmon_memory_used_bytes", "gauge", "Memory used: total - free - buffers - cached.", id, mem.UsedBytes);
            }
            foreach (var fs in s.Filesystems)
            {
                var labels = $"{id},device=\"{Escape(fs.Device)}\",fstype=\"{Escape(fs.FsType)}\",mountpoint=\"{Escape(fs.MountPoint)}\"";
                Add("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.", labels, fs.TotalBytes);
                Add("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.", labels, fs.FreeBytes);
            }
            foreach (var disk in s.Disks)
            {
                var labels = $"{id},device=\"{Escape(disk.Device)}\"";
                Add("sysmon_disk_read_bytes_per_second", "gauge", "Disk read rate over the last interval.", labels, disk.ReadBytesPerSecond);
                Add("sysmon_disk_written_bytes_per_second", "gauge", "Disk write rate over the last interval.", labels, disk.WriteBytesPerSecond);
                Add("sysmon_disk_reads_per_second", "gauge", "Completed reads per second over the last interval.", labels, disk.ReadsPerSecond);
                Add("sysmon_disk_writes_per_second", "gauge", "Completed writes per second over the last interval.", labels, disk.WritesPerSecond);
                Add("sysmon_disk_io_busy_percent", "gauge", "Time the device had I/O in flight over the last interval, %.", labels, disk.BusyPercent);
            }
            foreach (var nic in s.NetworkInterfaces)
            {
                var labels = $"{id},device=\"{Escape(nic.Name)}\"";
                Add("sysmon_network_receive_bytes_per_second", "gauge", "Network receive rate over the last interval.", labels, nic.RxBytesPerSecond);
                Add("sysmon_network_transmit_bytes_per_second", "gauge", "Network transmit rate over the last interval.", labels, nic.TxBytesPerSecond);
                Add("sysmon_network_receive_packets_per_second", "gauge", "Packets received per second over the last interval.", labels, nic.RxPacketsPerSecond);
                Add("sysmon_network_transmit_packets_per_second", "gauge", "Packets sent per second over the last interval.", labels, nic.TxPacketsPerSecond);
                Add("node_network_receive_errs_total", "counter", "Network device statistic receive_errs.", labels, nic.RxErrorsTotal);
                Add("node_network_transmit_errs_total", "counter", "Network device statistic transmit_errs.", labels, nic.TxErrorsTotal);
                Add("node_network_receive_drop_total", "counter", "Network device statistic receive_drop.", labels, nic.RxDropsTotal);
                Add("node_network_transmit_drop_total", "counter", "Network device statistic transmit_drop.", labels, nic.TxDropsTotal);
            }
            Add("sysmon_processes", "gauge", "Number of processes on the machine.", id, s.ProcessCount);
            Add("node_time_seconds", "gauge", "System time in seconds since epoch (1970), as of the latest sample.", id, s.TimestampUnixMs / 1000.0);
        }

        var hubLabel = $"hub=\"{Escape(hubId)}\"";
        Add("sysmon_hub_connected_agents", "gauge", "Agent streams open on this hub.", hubLabel, agentStreams);
        Add("sysmon_hub_connected_viewers", "gauge", "SignalR viewers connected to this hub.", hubLabel, hub.ViewersConnected);
        Add("sysmon_hub_samples_received_total", "counter", "Samples received from agents by this hub.", hubLabel, hub.SamplesReceived);
        Add("sysmon_hub_samples_stored_total", "counter", "Samples stored (history and registry) by this hub.", hubLabel, hub.SamplesStored);
        Add("sysmon_hub_samples_duplicate_total", "counter", "Resent samples acknowledged without storing them again.", hubLabel, hub.SamplesDuplicate);
        Add("sysmon_hub_samples_published_total", "counter", "Samples fanned out to viewers, live or as backfill.", $"{hubLabel},kind=\"live\"", hub.SamplesPublishedLive);
        Add("sysmon_hub_samples_published_total", "counter", "Samples fanned out to viewers, live or as backfill.", $"{hubLabel},kind=\"backfill\"", hub.SamplesPublishedBackfill);
        Add("sysmon_hub_publish_failures_total", "counter", "Samples stored but not fanned out (backplane down).", hubLabel, hub.PublishFailures);
        Add("sysmon_hub_store_retries_total", "counter", "Storage attempts retried because Redis was unavailable.", hubLabel, hub.StoreRetries);
        Add("sysmon_hub_unauthenticated_network", "gauge", "1 when this hub listens beyond loopback without authentication (Security:AllowUnauthenticatedNetwork).", hubLabel, hub.UnauthenticatedNetwork ? 1 : 0);
        Add("sysmon_hub_samples_throttled_total", "counter", "Samples read late because their agent sent faster than Hub:MaxSamplesPerSecondPerAgent.", hubLabel, hub.SamplesThrottled);
        Add("sysmon_hub_streams_idle_closed_total", "counter", "Agent streams closed because nothing arrived for Hub:StreamIdleSeconds.", hubLabel, hub.StreamsIdleClosed);
        if (hub.RedisConfigured)
        {
            Add("sysmon_hub_redis_up", "gauge", "1 when the last Redis PING succeeded.", hubLabel, hub.RedisRoundTrip is null ? 0 : 1);
        }
        if (hub.RedisRoundTrip is { } roundTrip)
        {
            Add("sysmon_hub_redis_roundtrip_seconds", "gauge", "Round trip of the last Redis PING.", hubLabel, roundTrip.TotalSeconds);
        }

        foreach (var (name, family) in families)
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(family.Help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(family.Type).Append('\n');
            foreach (var (labels, value) in family.Lines)
            {
                text.Append(name).Append('{').Append(labels).Append("} ").Append(Format(value)).Append('\n');
            }
        }
        return text.ToString();
    }

    private sealed record Family(string Type, string Help, List<(string Labels, double Value)> Lines);

    private static string Format(double value) =>
        double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : double.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";

    /// <summary>Label values are agent text: escape what the format gives meaning to (backslash, quote, newline).</summary>
    internal static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
