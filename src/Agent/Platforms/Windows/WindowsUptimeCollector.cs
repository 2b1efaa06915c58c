using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>Seconds since boot from GetTickCount64 (milliseconds; it includes time spent asleep).</summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsUptimeCollector : IMetricCollector
{
    /// <inheritdoc />
    public string Name => "uptime";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        sample.UptimeSeconds = WindowsNative.GetTickCount64() / 1000.0;
    }
}
