using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>The /proc/meminfo fields the agent reports, in bytes.</summary>
internal readonly record struct MemInfo(
    ulong TotalBytes, ulong FreeBytes, ulong AvailableBytes, ulong BuffersBytes, ulong CachedBytes,
    ulong SReclaimableBytes, ulong SwapTotalBytes, ulong SwapFreeBytes);

/// <summary>Physical memory and swap from /proc/meminfo.</summary>
internal sealed class MemoryCollector(HostPaths paths) : IMetricCollector
{
    internal HostPaths Paths { get; set; } = paths;

    private readonly ProcReader _reader = new();

    /// <inheritdoc />
    public string Name => "memory";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        sample.Memory = ToSample(ParseMeminfo(_reader.ReadText(Paths.Proc("meminfo"))));
    }

    /// <summary>Parses /proc/meminfo ("MemTotal:       16314748 kB"); missing fields read as 0.</summary>
    public static MemInfo ParseMeminfo(ReadOnlySpan<char> text)
    {
        ulong total = 0, free = 0, available = 0, buffers = 0, cached = 0, reclaimable = 0, swapTotal = 0, swapFree = 0;
        foreach (var line in text.EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var key = line[..colon];
            var fields = new FieldReader(line[(colon + 1)..]);
            fields.TryNext(out var number);
            // Every size line is in kB (which the kernel means as KiB); HugePages_* counts have no unit.
            var hasKb = fields.TryNext(out var unit) && unit.SequenceEqual("kB");
            var bytes = ProcFile.ParseUInt64(number) * (hasKb ? 1024UL : 1UL);
            switch (key)
            {
                case "MemTotal": total = bytes; break;
                case "MemFree": free = bytes; break;
                case "MemAvailable": available = bytes; break;
                case "Buffers": buffers = bytes; break;
                case "Cached": cached = bytes; break;
                case "SReclaimable": reclaimable = bytes; break;
                case "SwapTotal": swapTotal = bytes; break;
                case "SwapFree": swapFree = bytes; break;
            }
        }

        return new MemInfo(total, free, available, buffers, cached, reclaimable, swapTotal, swapFree);
    }

    /// <summary>Derives the wire fields the way <c>free</c> does: cached includes reclaimable slab.</summary>
    public static MemorySample ToSample(in MemInfo info)
    {
        var cached = info.CachedBytes + info.SReclaimableBytes;
        var unused = info.FreeBytes + info.BuffersBytes + cached;
        return new MemorySample
        {
            TotalBytes = info.TotalBytes,
            // Saturate: the fields are read at slightly different moments and can add up past the total.
            UsedBytes = info.TotalBytes > unused ? info.TotalBytes - unused : 0,
            AvailableBytes = info.AvailableBytes,
            FreeBytes = info.FreeBytes,
            BuffersBytes = info.BuffersBytes,
            CachedBytes = cached,
            SwapTotalBytes = info.SwapTotalBytes,
            SwapUsedBytes = Counter.Delta(info.SwapFreeBytes, info.SwapTotalBytes),
        };
    }
}
