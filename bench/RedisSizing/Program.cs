// Fills a fresh Redis with the steady-state history of N machines at the default retention (every tier
// full: 15 min raw, 24 h at 10 s, 30 days at 1 min, one process snapshot a minute for 30 days, closed
// buckets sealed) through
// the hub's own RedisHistoryStore and registry, and reports used_memory per machine. Samples have the
// shape of a typical server: 8 cores, 4 disks, 4 filesystems, 3 interfaces, 10 processes.
// Usage: SysMon.RedisSizing <redis-connection-string> [machines=10]. Last line: one JSON object.
using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.History;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;

var connectionString = args.Length > 0 ? args[0] : "127.0.0.1:6379";
var machines = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var options = new HistoryOptions();
using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
var server = redis.GetServer(redis.GetEndPoints()[0]);
await server.FlushDatabaseAsync();
long UsedMemory() => long.Parse(server.Info("memory").SelectMany(g => g).First(kv => kv.Key == "used_memory").Value, CultureInfo.InvariantCulture);
var before = UsedMemory();

var store = new RedisHistoryStore(redis, options, TimeProvider.System);
var registry = new RedisMachineRegistry(redis);
var random = new Random(42);
var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
long points = 0, snapshots = 0, pointBytes = 0, snapshotBytes = 0;
var tierBytes = new Dictionary<string, long>();
var tierPoints = new Dictionary<string, long>();

for (var m = 0; m < machines; m++)
{
    var id = $"sizing-{m:D4}";
    await registry.ConnectedAsync(new Hello { ProtocolVersion = 1, MachineId = id, Hostname = $"web-{m:D4}.example.internal", OsName = "Debian GNU/Linux",
        OsVersion = "12 (bookworm)", KernelVersion = "6.1.0-18-amd64", Architecture = "x64", CpuModel = "AMD EPYC 7B13", LogicalCores = 8, PhysicalCores = 4,
        MemoryTotalBytes = 32UL << 30, AgentVersion = "0.1.0" }, "c", "hub", DateTimeOffset.UtcNow);
    await registry.SampleAsync(id, SampleAt(now * 1000, random), DateTimeOffset.UtcNow);
    var writes = new List<Task>();
    async Task Flush()
    {
        await Task.WhenAll(writes);
        writes.Clear();
    }
    foreach (var tier in options.Tiers)
    {
        for (var t = now - tier.RetentionSeconds + tier.StepSeconds; t <= now; t += tier.StepSeconds)
        {
            // Raw points are single samples; the coarser ones aggregates, as the recorder writes them.
            var point = HistoryPoints.FromSample(SampleAt(t * 1000, random));
            if (tier.StepSeconds > 1)
            {
                point = HistoryPoints.Aggregate([point, HistoryPoints.FromSample(SampleAt(t * 1000 + 1000, random))], t * 1000)!;
                point.SampleCount = (uint)tier.StepSeconds;
            }
            points++;
            var size = point.CalculateSize();
            pointBytes += size;
            tierBytes[tier.Name] = tierBytes.GetValueOrDefault(tier.Name) + size;
            tierPoints[tier.Name] = tierPoints.GetValueOrDefault(tier.Name) + 1;
            writes.Add(store.WriteAsync(id, tier, point));
            if (writes.Count >= 2000) await Flush();
        }
    }
    for (var t = now - options.CoarseRetentionSeconds + options.ProcessSnapshotSeconds; t <= now; t += options.ProcessSnapshotSeconds)
    {
        var snapshot = HistoryPoints.SnapshotOf(SampleAt(t * 1000, random));
        snapshots++;
        snapshotBytes += snapshot.CalculateSize();
        writes.Add(store.WriteProcessesAsync(id, snapshot));
        if (writes.Count >= 2000) await Flush();
    }
    await Flush();
    // As the hub does when a bucket closes: every bucket but the open one is sealed (compressed).
    foreach (var tier in new[] { options.Medium, options.Coarse, options.Processes })
    {
        for (var bucket = tier.BucketStart(now - tier.RetentionSeconds); bucket < tier.BucketStart(now); bucket += tier.BucketSeconds)
        {
            writes.Add(store.SealAsync(id, tier, bucket));
        }
    }
    await Flush();
    Console.Error.WriteLine($"machine {m + 1}/{machines} written");
}

var used = UsedMemory() - before;
var perMachine = used / (double)machines;
var result = new
{
    machines,
    redis_used_memory_mb = Math.Round(used / 1048576.0, 1),
    per_machine_mb = Math.Round(perMachine / 1048576.0, 2),
    per_machine_per_day_mb = Math.Round(perMachine / 1048576.0 / (options.CoarseRetentionSeconds / 86400.0), 3),
    points_per_machine = points / machines,
    snapshots_per_machine = snapshots / machines,
    avg_point_bytes = Math.Round(pointBytes / (double)points, 1),
    avg_point_bytes_by_tier = tierBytes.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value / (double)tierPoints[kv.Key], 1)),
    avg_snapshot_bytes = Math.Round(snapshotBytes / (double)snapshots, 1),
    machines_per_gib = Math.Round(1073741824.0 / perMachine, 1),
};
Console.WriteLine(JsonSerializer.Serialize(result));

static Sample SampleAt(long unixMs, Random random)
{
    double Pct(double around) => Math.Clamp(around + (random.NextDouble() - 0.5) * 20, 0, 100);
    var cpu = Pct(25);
    var sample = new Sample
    {
        TimestampUnixMs = unixMs,
        Cpu = new CpuSample { TotalPercent = cpu, Load1M = 1.2 + random.NextDouble(), Load5M = 1.1, Load15M = 0.9 },
        Memory = new MemorySample { TotalBytes = 32UL << 30, UsedBytes = (ulong)(9e9 + random.Next(0, 100_000_000)), AvailableBytes = 20_000_000_000,
            FreeBytes = 3_000_000_000, BuffersBytes = 400_000_000, CachedBytes = 17_000_000_000, SwapTotalBytes = 4UL << 30, SwapUsedBytes = 50_000_000 },
    };
    for (var c = 0; c < 8; c++)
    {
        sample.Cpu.CorePercent.Add(Pct(cpu));
    }
    foreach (var disk in new[] { "nvme0n1", "nvme1n1", "sda", "sdb" })
    {
        sample.Disks.Add(new DiskIoSample { Device = disk, ReadBytesPerSecond = random.Next(0, 2_000_000), WriteBytesPerSecond = random.Next(0, 5_000_000),
            ReadsPerSecond = random.Next(0, 200), WritesPerSecond = random.Next(0, 400), BusyPercent = Pct(5) });
    }
    foreach (var (mount, device) in new[] { ("/", "/dev/nvme0n1p2"), ("/boot", "/dev/nvme0n1p1"), ("/var/lib/postgresql", "/dev/nvme1n1"), ("/srv/backup", "/dev/sda1") })
    {
        sample.Filesystems.Add(new FilesystemSample { MountPoint = mount, Device = device, FsType = "ext4", TotalBytes = 500_000_000_000, UsedBytes = (ulong)(2e11 + random.Next(0, 1_000_000)), FreeBytes = 280_000_000_000 });
    }
    foreach (var nic in new[] { "eth0", "eth1", "docker0" })
    {
        sample.NetworkInterfaces.Add(new NetworkInterfaceSample { Name = nic, RxBytesPerSecond = random.Next(0, 10_000_000), TxBytesPerSecond = random.Next(0, 5_000_000),
            RxPacketsPerSecond = random.Next(0, 8000), TxPacketsPerSecond = random.Next(0, 6000) });
    }
    string[] names = ["postgres", "nginx", "java", "node", "python3", "dotnet", "redis-server", "containerd", "systemd-journal", "sshd"];
    for (var p = 0; p < 10; p++)
    {
        sample.Processes.Add(new ProcessSample { Pid = 1000 + p * 37, Name = names[p], User = p % 3 == 0 ? "root" : "www-data", CpuPercent = Pct(10),
            ResidentBytes = (ulong)random.Next(10_000_000, 900_000_000), MemoryPercent = Pct(3), Threads = (uint)random.Next(1, 60), State = "S",
            CommandLine = $"/usr/bin/{names[p]} --config /etc/{names[p]}/{names[p]}.conf --workers 8 --log-level info --data /var/lib/{names[p]}" });
    }
    return sample;
}
