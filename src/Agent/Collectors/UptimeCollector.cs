using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>Seconds since boot from /proc/uptime.</summary>
internal sealed class UptimeCollector(HostPaths paths) : IMetricCollector
{
    private readonly ProcReader _reader = new();

    internal HostPaths Paths { get; set; } = paths;

    /// <inheritdoc />
    public string Name => "uptime";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        sample.UptimeSeconds = ParseUptime(_reader.ReadText(Paths.Proc("uptime")));
    }

    /// <summary>Parses /proc/uptime ("350735.47 234388.90"): the first number is uptime, the second idle time.</summary>
    public static double ParseUptime(ReadOnlySpan<char> text)
    {
        var fields = new FieldReader(text);
        return fields.TryNext(out var uptime) ? ProcFile.ParseDouble(uptime) : 0;
    }
}
