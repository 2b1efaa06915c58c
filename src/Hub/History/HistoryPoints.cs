using SysMon.Hub.History.Storage;
using SysMon.Protocol.V1;

namespace SysMon.Hub.History;

/// <summary>Pure conversions between samples and history points, and the aggregation of points into coarser ones.</summary>
public static class HistoryPoints
{
    private static uint Permille(double percent) => percent is > 0 and < 1e6 ? (uint)Math.Round(percent * 10) : 0;
    private static uint Centi(double value) => value is > 0 and < 4e7 ? (uint)Math.Round(value * 100) : 0;
    private static ulong Whole(double value) => value is > 0 and < 1.8e19 ? (ulong)Math.Round(value) : 0;
    private static ulong Kib(ulong bytes) => bytes / 1024;

    /// <summary>The raw-tier point of one sample.</summary>
    public static HistoryPoint FromSample(Sample sample)
    {
        var point = new HistoryPoint { TimestampUnixMs = sample.TimestampUnixMs, SampleCount = 1 };
        if (sample.Cpu is { } cpu)
        {
            var total = Permille(cpu.TotalPercent);
            point.CpuPermille = new Stat { Avg = total, Min = total, Max = total };
            foreach (var core in cpu.CorePercent)
            {
                point.CorePermille.Add(Permille(core));
            }
            point.Load1MCenti = Centi(cpu.Load1M);
            point.Load5MCenti = Centi(cpu.Load5M);
            point.Load15MCenti = Centi(cpu.Load15M);
        }
        if (sample.Memory is { } memory)
        {
            var used = Kib(memory.UsedBytes);
            point.MemoryTotalKib = Kib(memory.TotalBytes);
            point.MemoryUsedKib = new Stat { Avg = used, Min = used, Max = used };
            point.MemoryAvailableKib = Kib(memory.AvailableBytes);
            point.MemoryCachedKib = Kib(memory.CachedBytes);
            point.MemoryBuffersKib = Kib(memory.BuffersBytes);
            point.MemoryFreeKib = Kib(memory.FreeBytes);
            point.SwapTotalKib = Kib(memory.SwapTotalBytes);
            point.SwapUsedKib = Kib(memory.SwapUsedBytes);
        }
        foreach (var disk in sample.Disks)
        {
            point.Disks.Add(new DiskPoint
            {
                Device = disk.Device,
                ReadBytesPerSecond = Whole(disk.ReadBytesPerSecond),
                WriteBytesPerSecond = Whole(disk.WriteBytesPerSecond),
                ReadsPerSecondCenti = Centi(disk.ReadsPerSecond),
                WritesPerSecondCenti = Centi(disk.WritesPerSecond),
                BusyPermille = Permille(disk.BusyPercent),
            });
        }
        foreach (var fs in sample.Filesystems)
        {
            point.Filesystems.Add(new FilesystemPoint { MountPoint = fs.MountPoint, TotalKib = Kib(fs.TotalBytes), UsedKib = Kib(fs.UsedBytes) });
        }
        foreach (var nic in sample.NetworkInterfaces)
        {
            point.NetworkInterfaces.Add(new NetworkPoint
            {
                Name = nic.Name,
                RxBytesPerSecond = Whole(nic.RxBytesPerSecond),
                TxBytesPerSecond = Whole(nic.TxBytesPerSecond),
                RxPacketsPerSecondCenti = Centi(nic.RxPacketsPerSecond),
                TxPacketsPerSecondCenti = Centi(nic.TxPacketsPerSecond),
                RxErrorsPerSecondCenti = Centi(nic.RxErrorsPerSecond),
                TxErrorsPerSecondCenti = Centi(nic.TxErrorsPerSecond),
                RxDropsPerSecondCenti = Centi(nic.RxDropsPerSecond),
                TxDropsPerSecondCenti = Centi(nic.TxDropsPerSecond),
            });
        }
        return point;
    }

    /// <summary>
    /// A sample rebuilt from a stored point, for replaying history through alert rules: gauges are the
    /// point's averages, and what history does not keep (temperatures, GPUs, processes, iowait) is absent.
    /// Free space is total minus used, so root-reserved blocks count as free.
    /// </summary>
    public static Sample ToSample(HistoryPoint point)
    {
        const ulong KiB = 1024;
        var sample = new Sample { TimestampUnixMs = point.TimestampUnixMs };
        if (point.CpuPermille is { } cpu)
        {
            sample.Cpu = new CpuSample
            {
                TotalPercent = cpu.Avg / 10.0,
                Load1M = point.Load1MCenti / 100.0,
                Load5M = point.Load5MCenti / 100.0,
                Load15M = point.Load15MCenti / 100.0,
            };
            foreach (var core in point.CorePermille)
            {
                sample.Cpu.CorePercent.Add(core / 10.0);
            }
        }
        if (point.MemoryTotalKib > 0)
        {
            sample.Memory = new MemorySample
            {
                TotalBytes = point.MemoryTotalKib * KiB,
                UsedBytes = (point.MemoryUsedKib?.Avg ?? 0) * KiB,
                AvailableBytes = point.MemoryAvailableKib * KiB,
                FreeBytes = point.MemoryFreeKib * KiB,
                BuffersBytes = point.MemoryBuffersKib * KiB,
                CachedBytes = point.MemoryCachedKib * KiB,
                SwapTotalBytes = point.SwapTotalKib * KiB,
                SwapUsedBytes = point.SwapUsedKib * KiB,
            };
        }
        foreach (var fs in point.Filesystems)
        {
            sample.Filesystems.Add(new FilesystemSample
            {
                MountPoint = fs.MountPoint,
                TotalBytes = fs.TotalKib * KiB,
                UsedBytes = fs.UsedKib * KiB,
                FreeBytes = fs.TotalKib > fs.UsedKib ? (fs.TotalKib - fs.UsedKib) * KiB : 0,
            });
        }
        foreach (var disk in point.Disks)
        {
            sample.Disks.Add(new DiskIoSample
            {
                Device = disk.Device,
                ReadBytesPerSecond = disk.ReadBytesPerSecond,
                WriteBytesPerSecond = disk.WriteBytesPerSecond,
                ReadsPerSecond = disk.ReadsPerSecondCenti / 100.0,
                WritesPerSecond = disk.WritesPerSecondCenti / 100.0,
                BusyPercent = disk.BusyPermille / 10.0,
            });
        }
        foreach (var nic in point.NetworkInterfaces)
        {
            sample.NetworkInterfaces.Add(new NetworkInterfaceSample
            {
                Name = nic.Name,
                RxBytesPerSecond = nic.RxBytesPerSecond,
                TxBytesPerSecond = nic.TxBytesPerSecond,
                RxPacketsPerSecond = nic.RxPacketsPerSecondCenti / 100.0,
                TxPacketsPerSecond = nic.TxPacketsPerSecondCenti / 100.0,
                RxErrorsPerSecond = nic.RxErrorsPerSecondCenti / 100.0,
                TxErrorsPerSecond = nic.TxErrorsPerSecondCenti / 100.0,
                RxDropsPerSecond = nic.RxDropsPerSecondCenti / 100.0,
                TxDropsPerSecond = nic.TxDropsPerSecondCenti / 100.0,
            });
        }
        return sample;
    }

    /// <summary>
    /// Aggregates points into one starting at <paramref name="bucketStartUnixMs"/>: averages weighted by
    /// sample count, min of mins, max of maxes. Deterministic in its input, so recomputing a bucket after
    /// a late replay gives the same result as computing it once with every sample present.
    /// </summary>
    public static HistoryPoint? Aggregate(IReadOnlyList<HistoryPoint> points, long bucketStartUnixMs)
    {
        if (points.Count == 0)
        {
            return null;
        }
        long count = 0;
        foreach (var p in points)
        {
            count += Math.Max(1u, p.SampleCount);
        }
        var result = new HistoryPoint { TimestampUnixMs = bucketStartUnixMs, SampleCount = (uint)count };
        ulong Avg(Func<HistoryPoint, ulong> value)
        {
            double sum = 0;
            foreach (var p in points)
            {
                sum += (double)value(p) * Math.Max(1u, p.SampleCount);
            }
            return (ulong)Math.Round(sum / count);
        }
        Stat? AggregateStat(Func<HistoryPoint, Stat?> stat)
        {
            Stat? result = null;
            double sum = 0;
            long n = 0;
            foreach (var p in points)
            {
                if (stat(p) is not { } s)
                {
                    continue;
                }
                var weight = Math.Max(1u, p.SampleCount);
                sum += (double)s.Avg * weight;
                n += weight;
                result = result is null
                    ? new Stat { Min = s.Min, Max = s.Max }
                    : new Stat { Min = Math.Min(result.Min, s.Min), Max = Math.Max(result.Max, s.Max) };
            }
            if (result is not null)
            {
                result.Avg = (ulong)Math.Round(sum / n);
            }
            return result;
        }

        result.CpuPermille = AggregateStat(p => p.CpuPermille);
        result.MemoryUsedKib = AggregateStat(p => p.MemoryUsedKib);
        result.Load1MCenti = (uint)Avg(p => p.Load1MCenti);
        result.Load5MCenti = (uint)Avg(p => p.Load5MCenti);
        result.Load15MCenti = (uint)Avg(p => p.Load15MCenti);
        result.MemoryTotalKib = points[^1].MemoryTotalKib;
        result.MemoryAvailableKib = Avg(p => p.MemoryAvailableKib);
        result.MemoryCachedKib = Avg(p => p.MemoryCachedKib);
        result.MemoryBuffersKib = Avg(p => p.MemoryBuffersKib);
        result.MemoryFreeKib = Avg(p => p.MemoryFreeKib);
        result.SwapTotalKib = points[^1].SwapTotalKib;
        result.SwapUsedKib = Avg(p => p.SwapUsedKib);

        var cores = points.Max(p => p.CorePermille.Count);
        for (var i = 0; i < cores; i++)
        {
            var core = i;
            result.CorePermille.Add((uint)Avg(p => core < p.CorePermille.Count ? p.CorePermille[core] : 0));
        }

        // Per-device series: a device missing from some points (hot-unplugged, just appeared) averages
        // over the points it is in, so its rate is not diluted by samples that did not see it.
        foreach (var (device, items) in GroupBy(points, p => p.Disks, d => d.Device))
        {
            result.Disks.Add(new DiskPoint
            {
                Device = device,
                ReadBytesPerSecond = WeightedAvg(items, d => d.ReadBytesPerSecond),
                WriteBytesPerSecond = WeightedAvg(items, d => d.WriteBytesPerSecond),
                ReadsPerSecondCenti = (uint)WeightedAvg(items, d => d.ReadsPerSecondCenti),
                WritesPerSecondCenti = (uint)WeightedAvg(items, d => d.WritesPerSecondCenti),
                BusyPermille = (uint)WeightedAvg(items, d => d.BusyPermille),
            });
        }
        foreach (var (mount, items) in GroupBy(points, p => p.Filesystems, f => f.MountPoint))
        {
            result.Filesystems.Add(new FilesystemPoint
            {
                MountPoint = mount,
                TotalKib = items[^1].Item.TotalKib,
                UsedKib = WeightedAvg(items, f => f.UsedKib),
            });
        }
        foreach (var (name, items) in GroupBy(points, p => p.NetworkInterfaces, n => n.Name))
        {
            result.NetworkInterfaces.Add(new NetworkPoint
            {
                Name = name,
                RxBytesPerSecond = WeightedAvg(items, n => n.RxBytesPerSecond),
                TxBytesPerSecond = WeightedAvg(items, n => n.TxBytesPerSecond),
                RxPacketsPerSecondCenti = (uint)WeightedAvg(items, n => n.RxPacketsPerSecondCenti),
                TxPacketsPerSecondCenti = (uint)WeightedAvg(items, n => n.TxPacketsPerSecondCenti),
                RxErrorsPerSecondCenti = (uint)WeightedAvg(items, n => n.RxErrorsPerSecondCenti),
                TxErrorsPerSecondCenti = (uint)WeightedAvg(items, n => n.TxErrorsPerSecondCenti),
                RxDropsPerSecondCenti = (uint)WeightedAvg(items, n => n.RxDropsPerSecondCenti),
                TxDropsPerSecondCenti = (uint)WeightedAvg(items, n => n.TxDropsPerSecondCenti),
            });
        }
        return result;
    }

    private static ulong WeightedAvg<T>(List<(T Item, uint Weight)> items, Func<T, ulong> value)
    {
        double sum = 0;
        long n = 0;
        foreach (var (item, weight) in items)
        {
            sum += (double)value(item) * weight;
            n += weight;
        }
        return n == 0 ? 0 : (ulong)Math.Round(sum / n);
    }

    private static List<(string Key, List<(T Item, uint Weight)> Items)> GroupBy<T>(
        IReadOnlyList<HistoryPoint> points, Func<HistoryPoint, IEnumerable<T>> select, Func<T, string> key)
    {
        var groups = new List<(string Key, List<(T, uint)> Items)>();
        foreach (var point in points)
        {
            foreach (var item in select(point))
            {
                var k = key(item);
                var index = groups.FindIndex(g => g.Key == k);
                if (index < 0)
                {
                    groups.Add((k, []));
                    index = groups.Count - 1;
                }
                groups[index].Items.Add((item, Math.Max(1u, point.SampleCount)));
            }
        }
        return groups;
    }

    /// <summary>The snapshot of a sample's top processes kept in history.</summary>
    public static ProcessSnapshot SnapshotOf(Sample sample)
    {
        var snapshot = new ProcessSnapshot { TimestampUnixMs = sample.TimestampUnixMs };
        foreach (var p in sample.Processes)
        {
            snapshot.Processes.Add(new ProcessPoint
            {
                Pid = p.Pid,
                Name = p.Name,
                User = p.User,
                CpuPermilleOfCore = Permille(p.CpuPercent),
                ResidentKib = Kib(p.ResidentBytes),
                MemoryPermille = Permille(p.MemoryPercent),
                Threads = p.Threads,
                State = p.State,
                CommandLine = p.CommandLine.Length > 128 ? p.CommandLine[..128] : p.CommandLine,
            });
        }
        return snapshot;
    }
}
