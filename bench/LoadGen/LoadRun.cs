using System.Diagnostics;
using SysMon.Protocol.V1;

namespace SysMon.LoadGen;

/// <summary>
/// One benchmark run: viewers subscribe, agents connect, everyone sends through a warm-up and a measured
/// window, then a drain; the report covers only samples sent inside the window.
/// </summary>
public sealed class LoadRun(LoadOptions options)
{
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    public async Task<Dictionary<string, object?>> RunAsync()
    {
        var report = new Dictionary<string, object?>();
        var hubs = options.GrpcUrls.Length;
        var machineIds = Enumerable.Range(0, options.Agents).Select(i => $"lg-{i:D5}").ToArray();
        var agentIndex = machineIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        var log = new SendLog(options.Agents, (int)Math.Ceiling(options.RateHz * (options.WarmupSeconds + options.DurationSeconds)) + 16);
        using var lifetime = new CancellationTokenSource();

        // Machine i is watched by viewers i, i + M/k, i + 2M/k … (mod M): every machine by min(k, M) viewers,
        // every viewer by about N·k/M machines. Viewers sit on hubs in blocks (0..M/H-1 on hub 0 …) while agents
        // go round-robin, so about (H-1)/H of deliveries cross from one hub to another.
        var viewers = options.Viewers;
        var perMachine = Math.Min(options.Fanout, Math.Max(viewers, 1));
        var subscriptions = Enumerable.Range(0, viewers).Select(_ => new List<string>()).ToArray();
        var watchers = new int[options.Agents];
        if (viewers > 0)
        {
            var stride = Math.Max(1, viewers / perMachine);
            for (var i = 0; i < options.Agents; i++)
            {
                var chosen = new HashSet<int>();
                for (var j = 0; j < perMachine; j++)
                {
                    var v = (i + j * stride) % viewers;
                    while (!chosen.Add(v))
                    {
                        v = (v + 1) % viewers;
                    }
                    subscriptions[v].Add(machineIds[i]);
                }
                watchers[i] = perMachine;
            }
        }

        var templates = Enumerable.Range(0, 4).Select(SampleTemplates.Build).ToArray();
        var sizes = templates.Select(t => t.CalculateSize()).ToArray();
        report["agents"] = options.Agents;
        report["viewers"] = viewers;
        report["hubs"] = hubs;
        report["rate_hz"] = options.RateHz;
        report["duration_s"] = options.DurationSeconds;
        report["warmup_s"] = options.WarmupSeconds;
        report["drain_s"] = options.DrainSeconds;
        report["fanout_viewers_per_machine"] = viewers > 0 ? perMachine : 0;
        report["machines_per_viewer"] = viewers > 0 ? Math.Round(subscriptions.Average(s => s.Count), 1) : 0;
        report["offered_samples_per_s"] = options.Agents * options.RateHz;
        report["sample_protobuf_bytes"] = new { min = sizes.Min(), max = sizes.Max() };

        var viewerList = Enumerable.Range(0, viewers)
            .Select(v => new Viewer(options.WebUrls[v * hubs / viewers], agentIndex, log))
            .ToArray();
        // The probe watches one machine through the last hub and measures the JSON a viewer gets.
        var probe = new Viewer(options.WebUrls[^1], agentIndex, log, probe: true);
        var agents = machineIds.Select((id, i) => new SimulatedAgent(i, id, options.GrpcUrls[i % hubs], log)).ToArray();

        using (var setup = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token))
        {
            setup.CancelAfter(SetupTimeout);
            try
            {
                var sw = Stopwatch.StartNew();
                await ForEachLimitedAsync(viewerList.Select((viewer, v) => (viewer, v)), 16, async p =>
                {
                    await p.viewer.ConnectAsync(setup.Token);
                    await p.viewer.SubscribeAsync(subscriptions[p.v], options.Fleet, setup.Token);
                });
                await probe.ConnectAsync(setup.Token);
                await probe.SubscribeAsync([machineIds[0]], fleet: false, setup.Token);
                Console.Error.WriteLine($"loadgen: {viewers} viewers subscribed in {sw.Elapsed.TotalSeconds:0.0} s");
                sw.Restart();
                await ForEachLimitedAsync(agents, 64, a => a.ConnectAsync(lifetime.Token));
                Console.Error.WriteLine($"loadgen: {options.Agents} agents connected in {sw.Elapsed.TotalSeconds:0.0} s");
            }
            catch (Exception ex)
            {
                report["fatal"] = $"setup: {ex.GetType().Name}: {ex.Message}";
                await lifetime.CancelAsync();
                return report;
            }
        }

        var frequency = (double)Stopwatch.Frequency;
        long Ticks(double seconds) => (long)(seconds * frequency);
        var start = Stopwatch.GetTimestamp();
        log.WindowStart = start + Ticks(options.WarmupSeconds);
        log.WindowEnd = log.WindowStart + Ticks(options.DurationSeconds);
        var period = 1 / options.RateHz;
        var phaseRng = new Random(42);
        var runs = agents.Select((a, i) => a.RunAsync(templates[i % templates.Length], options.RateHz,
            TimeSpan.FromSeconds(phaseRng.NextDouble() * period), log.WindowEnd, lifetime.Token)).ToArray();
        Console.Error.WriteLine($"loadgen: sending {options.Agents} × {options.RateHz} Hz; window {options.WarmupSeconds} s → {options.WarmupSeconds + options.DurationSeconds} s");

        // Resource figures over exactly the window.
        var pids = options.HubPids;
        await DelayUntil(log.WindowStart);
        var hubCpu0 = pids.Select(ProcStat.CpuSeconds).ToArray();
        var redisCpu0 = options.RedisPid > 0 ? ProcStat.CpuSeconds(options.RedisPid) : double.NaN;
        var selfCpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var machine0 = ProcStat.MachineJiffies();
        var gcCount0 = GC.CollectionCount(0);
        var wall0 = Stopwatch.GetTimestamp();
        await DelayUntil(log.WindowEnd);
        var wall = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
        var hubCpu1 = pids.Select(ProcStat.CpuSeconds).ToArray();
        var redisCpu1 = options.RedisPid > 0 ? ProcStat.CpuSeconds(options.RedisPid) : double.NaN;
        var selfCpu1 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var machine1 = ProcStat.MachineJiffies();
        var hubRss = pids.Select(ProcStat.RssMb).ToArray();
        var selfRss = ProcStat.RssMb(Environment.ProcessId);
        var gcCount = GC.CollectionCount(0) - gcCount0;

        await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
        Console.Error.WriteLine($"loadgen: window over, draining {options.DrainSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(options.DrainSeconds));

        // Count now, after the drain: anything later is lost.
        var delivered = viewerList.Sum(v => v.Delivered);
        var duplicates = viewerList.Sum(v => v.Duplicates);
        var unknown = viewerList.Sum(v => v.Unknown);
        long sentInWindow = 0, acked = 0, expected = 0;
        for (var i = 0; i < agents.Length; i++)
        {
            var a = agents[i];
            if (a.FirstSequenceInWindow == 0)
            {
                continue;
            }
            var n = (long)(a.LastSequenceInWindow - a.FirstSequenceInWindow + 1);
            sentInWindow += n;
            expected += n * watchers[i];
            var lastAck = a.LastAck;
            acked += lastAck < a.FirstSequenceInWindow ? 0 : (long)(Math.Min(lastAck, a.LastSequenceInWindow) - a.FirstSequenceInWindow + 1);
        }
        var latencies = viewerList.SelectMany(v => v.LatencyTicks).ToArray();
        Array.Sort(latencies);
        double Percentile(double q) => latencies.Length == 0
            ? double.NaN
            : Math.Round(latencies[Math.Clamp((int)Math.Ceiling(q * latencies.Length) - 1, 0, latencies.Length - 1)] * 1000 / frequency, 3);

        await ForEachLimitedAsync(viewerList.Append(probe), 32, v => v.StopAsync(CloseTimeout));
        await ForEachLimitedAsync(agents, 64, a => a.CloseAsync(CloseTimeout));
        await lifetime.CancelAsync();

        double PercentOfCore(double before, double after) => Math.Round((after - before) / wall * 100, 1);
        report["window_measured_s"] = Math.Round(wall, 2);
        report["sample_json_bytes"] = probe.JsonSizes.Count == 0 ? null : (int)Math.Round(probe.JsonSizes.Average());
        report["samples_sent"] = sentInWindow;
        report["sent_per_s"] = Math.Round(sentInWindow / options.DurationSeconds, 1);
        report["samples_sent_total"] = agents.Sum(a => a.Sent);
        report["samples_acked"] = acked;
        report["acks_received_total"] = agents.Sum(a => Interlocked.Read(ref a.AcksReceived));
        report["samples_expected"] = expected;
        report["samples_delivered"] = delivered;
        report["samples_lost"] = expected - delivered;
        report["delivered_per_s"] = Math.Round(delivered / options.DurationSeconds, 1);
        report["duplicates"] = duplicates;
        report["unknown_messages"] = unknown;
        report["e2e_p50_ms"] = Percentile(0.50);
        report["e2e_p90_ms"] = Percentile(0.90);
        report["e2e_p99_ms"] = Percentile(0.99);
        report["e2e_p999_ms"] = Percentile(0.999);
        report["e2e_max_ms"] = Percentile(1.0);
        report["hub_cpu_percent"] = hubCpu0.Zip(hubCpu1, PercentOfCore).ToArray();
        report["hub_rss_mb"] = hubRss.Select(r => Math.Round(r, 1)).ToArray();
        report["redis_cpu_percent"] = options.RedisPid > 0 ? PercentOfCore(redisCpu0, redisCpu1) : null;
        report["loadgen_cpu_percent"] = PercentOfCore(selfCpu0, selfCpu1);
        report["loadgen_rss_mb"] = Math.Round(selfRss, 1);
        report["loadgen_gen0_gcs"] = gcCount;
        report["machine_cpu_busy_percent"] = Math.Round((machine1.Busy - machine0.Busy) * 100.0 / (machine1.Total - machine0.Total), 1);
        report["machine_cores"] = Environment.ProcessorCount;
        // What the rest of the host burnt meanwhile (builds of other work, say): a busy neighbour skews every figure above.
        var ours = hubCpu1.Zip(hubCpu0, (a, b) => a - b).Sum() + (selfCpu1 - selfCpu0) + (options.RedisPid > 0 ? redisCpu1 - redisCpu0 : 0);
        var machineSeconds = (machine1.Busy - machine0.Busy) / ProcStat.TicksPerSecond;
        report["other_processes_cpu_percent"] = Math.Round(Math.Max(0, machineSeconds - ours) / wall * 100, 1);
        if (options.Fleet)
        {
            var support = viewerList.Select(v => v.FleetSupported).FirstOrDefault(s => s.HasValue);
            report["fleet_supported"] = support;
            report["fleet_messages"] = viewerList.Sum(v => v.FleetMessages);
            report["fleet_bytes"] = viewerList.Sum(v => v.FleetBytes);
        }
        var agentErrors = agents.Where(a => a.Error is not null).ToArray();
        var viewerErrors = viewerList.Where(v => v.Error is not null).ToArray();
        report["agent_errors"] = agentErrors.Length;
        report["viewer_errors"] = viewerErrors.Length;
        report["first_error"] = agentErrors.Select(a => a.Error).Concat(viewerErrors.Select(v => v.Error)).FirstOrDefault();
        return report;
    }

    private static async Task DelayUntil(long ticks)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), ticks);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }
    }

    private static Task ForEachLimitedAsync<T>(IEnumerable<T> items, int parallelism, Func<T, Task> action) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (item, _) => await action(item));
}
