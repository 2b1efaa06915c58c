using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>Seconds since boot: now − sysctl kern.boottime.</summary>
[SupportedOSPlatform("macos")]
internal sealed class MacUptimeCollector : IMetricCollector
{
    /// <inheritdoc />
    public string Name => "uptime";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        sample.UptimeSeconds = Math.Max(0, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0) - ReadBootTimeSeconds());
    }

    /// <summary>kern.boottime as seconds since the epoch. Read each time: the kernel moves it when the clock is set.</summary>
    public static double ReadBootTimeSeconds()
    {
        Span<byte> timeval = stackalloc byte[MacStructs.TimevalSize];
        var read = MacNative.SysctlByName("kern.boottime\0"u8, timeval);
        return MacStructs.ParseTimevalSeconds(timeval[..read]);
    }
}
