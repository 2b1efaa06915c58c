using SysMon.Protocol.V1;

namespace SysMon.LoadGen;

/// <summary>
/// A few pre-built samples shaped like a mid-size server's: 8 cores, 4 disks, 4 filesystems,
/// 3 interfaces, the top 10 processes. Agents clone one and then change only the sequence, the
/// timestamp and a handful of gauges per send, so building samples costs the generator next to nothing.
/// Doubles keep full precision, as the real agent's delta arithmetic produces them (JSON size depends on it).
/// </summary>
public static class SampleTemplates
{
    public const int CoreCount = 8;

    private static readonly (string Name, string User, string CommandLine)[] Processes =
    [
        ("postgres", "postgres", "postgres: 15/main: checkpointer process for database cluster /var/lib/postgresql/15/main"),
        ("java", "kafka", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java -Xmx4G -Xms4G -server -XX:+UseG1GC kafka.Kafka config/server.properties"),
        ("nginx", "www-data", "nginx: worker process of master /usr/sbin/nginx -g daemon on; master_process on;"),
        ("dotnet", "app", "/usr/share/dotnet/dotnet /srv/orders/Orders.Api.dll --urls http://0.0.0.0:8080 --environment Production"),
        ("redis-server", "redis", "/usr/bin/redis-server 127.0.0.1:6379 --supervised systemd --daemonize no --save 900 1"),
        ("node", "web", "/usr/bin/node --max-old-space-size=2048 /srv/frontend/server/index.mjs --port 3000 --cluster"),
        ("python3", "etl", "/usr/bin/python3 -m celery -A pipeline.worker worker --loglevel=INFO --concurrency=4 -Q ingest"),
        ("systemd-journal", "root", "/lib/systemd/systemd-journald --log-target=journal-or-kmsg --rate-limit-burst=10000"),
        ("containerd", "root", "/usr/bin/containerd --config /etc/containerd/config.toml --log-level warn --address /run/c.sock"),
        ("sshd", "root", "sshd: deploy [priv] session opened from 10.20.30.40 port 51234 with key SHA256:Ab3dEf9xYz"),
        ("prometheus", "prometheus", "/usr/bin/prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.retention=15d"),
        ("grafana", "grafana", "/usr/share/grafana/bin/grafana server --config=/etc/grafana/grafana.ini --homepath /usr/share/grafana"),
    ];

    /// <summary>Builds template number <paramref name="variant"/>; variants differ in values and in which processes are on top.</summary>
    public static Sample Build(int variant)
    {
        var rng = new Random(1000 + variant);
        double Pct(double max = 100) => rng.NextDouble() * max;
        ulong Gib(double gib) => (ulong)(gib * 1024 * 1024 * 1024);

        var cpu = new CpuSample
        {
            TotalPercent = Pct(60),
            UserPercent = Pct(40),
            SystemPercent = Pct(15),
            IowaitPercent = Pct(3),
            StealPercent = Pct(1),
            IdlePercent = Pct(100),
            FrequencyAvgMhz = 2450 + Pct(500),
            FrequencyMinMhz = 1500 + Pct(300),
            FrequencyMaxMhz = 3200 + Pct(300),
            Load1M = Pct(8),
            Load5M = Pct(8),
            Load15M = Pct(8),
        };
        for (var c = 0; c < CoreCount; c++)
        {
            cpu.CorePercent.Add(Pct());
            cpu.CoreFrequencyMhz.Add(1500 + Pct(2000));
        }

        var sample = new Sample
        {
            Sequence = 1,
            TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            UptimeSeconds = 86_400 * 17 + Pct(86_400),
            Cpu = cpu,
            Memory = new MemorySample
            {
                TotalBytes = Gib(64),
                UsedBytes = Gib(20 + Pct(20)),
                AvailableBytes = Gib(20 + Pct(10)),
                FreeBytes = Gib(2 + Pct(4)),
                BuffersBytes = Gib(0.5),
                CachedBytes = Gib(10 + Pct(5)),
                SwapTotalBytes = Gib(8),
                SwapUsedBytes = Gib(Pct(0.5)),
            },
            ProcessCount = 300 + (uint)rng.Next(200),
            IntervalSeconds = 1.0,
        };
        string[] mounts = ["/", "/var/lib/postgresql", "/srv", "/boot/efi"];
        string[] devices = ["/dev/nvme0n1p2", "/dev/nvme1n1", "/dev/md0", "/dev/nvme0n1p1"];
        for (var i = 0; i < 4; i++)
        {
            var total = Gib(i == 3 ? 0.5 : 500 * (i + 1));
            var used = (ulong)(total * rng.NextDouble());
            sample.Filesystems.Add(new FilesystemSample
            {
                MountPoint = mounts[i],
                Device = devices[i],
                FsType = i == 3 ? "vfat" : i == 2 ? "xfs" : "ext4",
                TotalBytes = total,
                UsedBytes = used,
                FreeBytes = total - used,
            });
        }
        string[] disks = ["nvme0n1", "nvme1n1", "sda", "sdb"];
        foreach (var disk in disks)
        {
            sample.Disks.Add(new DiskIoSample
            {
                Device = disk,
                ReadBytesPerSecond = Pct(50_000_000),
                WriteBytesPerSecond = Pct(80_000_000),
                ReadsPerSecond = Pct(2_000),
                WritesPerSecond = Pct(3_000),
                BusyPercent = Pct(),
            });
        }
        string[] nics = ["eth0", "eth1", "docker0"];
        foreach (var nic in nics)
        {
            sample.NetworkInterfaces.Add(new NetworkInterfaceSample
            {
                Name = nic,
                RxBytesPerSecond = Pct(100_000_000),
                TxBytesPerSecond = Pct(100_000_000),
                RxPacketsPerSecond = Pct(80_000),
                TxPacketsPerSecond = Pct(80_000),
                RxErrorsPerSecond = 0,
                TxErrorsPerSecond = 0,
                RxDropsPerSecond = Pct(0.5),
                TxDropsPerSecond = 0,
                RxErrorsTotal = (ulong)rng.Next(50),
                TxErrorsTotal = 0,
                RxDropsTotal = (ulong)rng.Next(5_000),
                TxDropsTotal = (ulong)rng.Next(10),
            });
        }
        for (var p = 0; p < 10; p++)
        {
            var (name, user, commandLine) = Processes[(p + variant) % Processes.Length];
            var resident = (ulong)rng.Next(20, 4_000) * 1024 * 1024;
            sample.Processes.Add(new ProcessSample
            {
                Pid = 1000 + rng.Next(60_000),
                Name = name,
                User = user,
                CpuPercent = Pct(100.0 / (p + 1)),
                ResidentBytes = resident,
                MemoryPercent = resident * 100.0 / Gib(64),
                Threads = (uint)rng.Next(1, 200),
                State = p == 0 ? "R" : "S",
                CommandLine = commandLine,
            });
        }
        return sample;
    }

    /// <summary>Turns a template clone into the next reading: new sequence and time, a few gauges moved.</summary>
    public static void Advance(Sample sample, ulong sequence, long timestampUnixMs, Random rng)
    {
        sample.Sequence = sequence;
        sample.TimestampUnixMs = timestampUnixMs;
        sample.UptimeSeconds += sample.IntervalSeconds;
        var cpu = sample.Cpu;
        cpu.TotalPercent = rng.NextDouble() * 60;
        cpu.UserPercent = cpu.TotalPercent * 0.7;
        cpu.CorePercent[(int)(sequence % CoreCount)] = rng.NextDouble() * 100;
        sample.Memory.UsedBytes = sample.Memory.TotalBytes / 4 + (ulong)rng.Next(1 << 30);
        sample.NetworkInterfaces[0].RxBytesPerSecond = rng.NextDouble() * 100_000_000;
        sample.Processes[0].CpuPercent = rng.NextDouble() * 100;
    }
}
