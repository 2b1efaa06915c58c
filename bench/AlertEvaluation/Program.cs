// Alert evaluation cost: N machines × 10 rules, each machine sending one sample per second, through
// the hub's AlertEngine (in-memory store: in steady state the engine touches the store only on a
// phase change, so this is the per-sample cost a hub pays with Redis too). Prints one JSON line.
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SysMon.Hub.Alerts;
using SysMon.Protocol.V1;

var machines = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;

AlertRule Rule(string id, string metric, double threshold, Comparison comparison = Comparison.Above) => new()
{
    Id = id, Name = id, Metric = metric, Threshold = threshold, ClearThreshold = comparison == Comparison.Above ? threshold - 5 : threshold + 5,
    Comparison = comparison, ForSeconds = 60,
};
var options = new AlertOptions
{
    BuiltInRules = false,
    Rules =
    [
        Rule("cpu", "cpu_percent", 90), Rule("core", "cpu_core_percent", 98), Rule("load", "load5", 16),
        Rule("mem", "memory_used_percent", 90), Rule("swap", "swap_used_percent", 50), Rule("disk", "disk_used_percent", 90),
        Rule("io", "disk_busy_percent", 95), Rule("rx", "network_rx_bytes_per_second", 1e9), Rule("err", "network_errors_per_second", 1),
        Rule("temp", "temperature_celsius", 85),
    ],
};
var engine = new AlertEngine(Options.Create(options), new InMemoryAlertStore(new InMemoryAlertOutbox()), new InMemoryAlertRuleStore(), NullLogger<AlertEngine>.Instance);

// A sample like a real server's: 8 cores, 4 filesystems, 4 disks, 3 interfaces, 4 sensors; one machine in ten runs hot.
Sample SampleOf(int machine, long unixMs)
{
    var hot = machine % 10 == 0;
    var sample = new Sample
    {
        TimestampUnixMs = unixMs,
        Cpu = new CpuSample { TotalPercent = hot ? 95 : 20, Load5M = 2 },
        Memory = new MemorySample { TotalBytes = 16UL << 30, UsedBytes = 8UL << 30, SwapTotalBytes = 4UL << 30, SwapUsedBytes = 1UL << 20 },
    };
    for (var c = 0; c < 8; c++) sample.Cpu.CorePercent.Add(hot ? 99 : 20);
    foreach (var mount in new[] { "/", "/var", "/home", "/boot" })
        sample.Filesystems.Add(new FilesystemSample { MountPoint = mount, TotalBytes = 100, UsedBytes = 50 });
    foreach (var disk in new[] { "sda", "sdb", "nvme0n1", "nvme1n1" })
        sample.Disks.Add(new DiskIoSample { Device = disk, BusyPercent = 10 });
    foreach (var nic in new[] { "eth0", "eth1", "lo" })
        sample.NetworkInterfaces.Add(new NetworkInterfaceSample { Name = nic, RxBytesPerSecond = 1e6 });
    for (var t = 0; t < 4; t++)
        sample.Temperatures.Add(new TemperatureSample { Name = "coretemp Core " + t, Celsius = 50 });
    return sample;
}

string[] tags = ["prod"];
var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
var samples = Enumerable.Range(0, machines).Select(m => SampleOf(m, start)).ToArray();
var ids = Enumerable.Range(0, machines).Select(m => "machine-" + m.ToString(CultureInfo.InvariantCulture)).ToArray();

// Warm-up: the first minute of virtual time (so hot machines pass their 60 s and fire).
for (var s = 0; s < 61; s++)
{
    for (var m = 0; m < machines; m++)
    {
        samples[m].TimestampUnixMs = start + s * 1000L;
        await engine.ObserveAsync(ids[m], tags, samples[m]);
    }
}

var allocated = GC.GetAllocatedBytesForCurrentThread();
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
for (var s = 61; s < 61 + seconds; s++)
{
    for (var m = 0; m < machines; m++)
    {
        samples[m].TimestampUnixMs = start + s * 1000L;
        await engine.ObserveAsync(ids[m], tags, samples[m]);
    }
}
clock.Stop();
var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
var evaluations = (double)machines * seconds;
var microsPerSample = clock.Elapsed.TotalMicroseconds / evaluations;
var firing = (await engine.ActiveAsync()).Count();
Console.WriteLine($"{machines} machines x 10 rules, {seconds} virtual seconds: {microsPerSample:0.0} µs and {bytes / evaluations:0} B per sample; " +
    $"{firing} alerts firing; at 1 sample/s per machine that is {100 * microsPerSample * machines / 1e6:0.00} % of one core");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"machines\":{machines},\"rules\":10,\"seconds\":{seconds},\"us_per_sample\":{microsPerSample:0.00},\"bytes_per_sample\":{bytes / evaluations:0},\"core_percent_at_1hz\":{100 * microsPerSample * machines / 1e6:0.000},\"cpu_seconds\":{cpuUsed.TotalSeconds:0.00},\"firing\":{firing}}}"));
