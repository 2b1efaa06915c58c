using Microsoft.Extensions.Logging;
using SysMon.Agent.Platforms.Windows;
using SysMon.Agent.Platforms.MacOS;

namespace SysMon.Agent.Collectors;

/// <summary>The operating systems the agent has collectors for.</summary>
public enum AgentPlatform
{
    Linux,
    Windows,
    MacOS,
}

/// <summary>
/// Every collector the agent knows, by stable name and platform: the one table that decides what runs.
/// Names are what operators switch off (<c>--disable gpu,containers</c>) and what the hub sees in the hello.
/// </summary>
internal static class CollectorCatalog
{
    /// <summary>One collector: its name, the platform it reads, and how to make it.</summary>
    public sealed record Entry(string Name, AgentPlatform Platform, Func<HostPaths, ILoggerFactory, IMetricCollector> Create);

    /// <summary>The platform this process runs on.</summary>
    public static AgentPlatform Current { get; } =
        OperatingSystem.IsWindows() ? AgentPlatform.Windows
        : OperatingSystem.IsMacOS() ? AgentPlatform.MacOS
        : AgentPlatform.Linux;

    /// <summary>The platform's name as the hello carries it.</summary>
    public static string PlatformName(AgentPlatform platform) => platform switch
    {
        AgentPlatform.Windows => "windows",
        AgentPlatform.MacOS => "macos",
        _ => "linux",
    };

    // The order is the order collectors run in. Memory runs before processes: a process's memory_percent
    // uses this sample's total.
    public static IReadOnlyList<Entry> All { get; } =
    [
        new("uptime", AgentPlatform.Linux, static (p, _) => new UptimeCollector(p)),
        new("cpu", AgentPlatform.Linux, static (p, _) => new CpuCollector(p)),
        new("memory", AgentPlatform.Linux, static (p, _) => new MemoryCollector(p, MemoryCollector.ShouldUseOwnCgroup(p))),
        new("filesystems", AgentPlatform.Linux, static (p, l) => new FilesystemCollector(p, l.CreateLogger<FilesystemCollector>())),
        new("disks", AgentPlatform.Linux, static (p, _) => new DiskIoCollector(p)),
        new("network", AgentPlatform.Linux, static (p, _) => new NetworkCollector(p)),
        new("sensors", AgentPlatform.Linux, static (p, _) => new SensorsCollector(p)),
        new("gpu", AgentPlatform.Linux, static (_, l) => new GpuCollector(GpuCollector.DefaultLibraryPaths(), l.CreateLogger<GpuCollector>())),
        new("containers", AgentPlatform.Linux, static (p, _) => new ContainerCollector(p)),
        new("processes", AgentPlatform.Linux, static (p, _) => new ProcessCollector(p)),
        // The OperatingSystem check is for the platform analyser (CA1416); the platform column already keeps
        // these from running anywhere but Windows.
        new("uptime", AgentPlatform.Windows, static (_, _) => OperatingSystem.IsWindows() ? new WindowsUptimeCollector() : throw new PlatformNotSupportedException()),
        new("cpu", AgentPlatform.Windows, static (_, _) => OperatingSystem.IsWindows() ? new WindowsCpuCollector() : throw new PlatformNotSupportedException()),
        new("memory", AgentPlatform.Windows, static (_, _) => OperatingSystem.IsWindows() ? new WindowsMemoryCollector() : throw new PlatformNotSupportedException()),
        new("filesystems", AgentPlatform.Windows, static (_, _) => OperatingSystem.IsWindows() ? new WindowsFilesystemCollector() : throw new PlatformNotSupportedException()),
        new("disks", AgentPlatform.Windows, static (_, _) => OperatingSystem.IsWindows() ? new WindowsDiskIoCollector() : throw new PlatformNotSupportedException()),
        new("network", AgentPlatform.Windows, static (_, _) => OperatingSystem.IsWindows() ? new WindowsNetworkCollector() : throw new PlatformNotSupportedException()),
        new("gpu", AgentPlatform.Windows, static (_, l) => new GpuCollector(GpuCollector.DefaultLibraryPaths(), l.CreateLogger<GpuCollector>())),
        new("processes", AgentPlatform.Windows, static (_, _) => OperatingSystem.IsWindows() ? new WindowsProcessCollector() : throw new PlatformNotSupportedException()),
        new("uptime", AgentPlatform.MacOS, static (_, _) => OperatingSystem.IsMacOS() ? new MacUptimeCollector() : NotOn("macos")),
        new("cpu", AgentPlatform.MacOS, static (_, _) => OperatingSystem.IsMacOS() ? new MacCpuCollector() : NotOn("macos")),
        new("memory", AgentPlatform.MacOS, static (_, _) => OperatingSystem.IsMacOS() ? new MacMemoryCollector() : NotOn("macos")),
        new("filesystems", AgentPlatform.MacOS, static (_, _) => OperatingSystem.IsMacOS() ? new MacFilesystemCollector() : NotOn("macos")),
        new("network", AgentPlatform.MacOS, static (_, _) => OperatingSystem.IsMacOS() ? new MacNetworkCollector() : NotOn("macos")),
        new("processes", AgentPlatform.MacOS, static (_, _) => OperatingSystem.IsMacOS() ? new MacProcessCollector() : NotOn("macos")),
    ];

    // The platform column already keeps an entry off other systems; the OperatingSystem check in its factory is
    // what the platform analyser can see. Reaching this means the table and the check disagree.
    private static IMetricCollector NotOn(string platform) =>
        throw new PlatformNotSupportedException($"This collector runs only on {platform}.");

    /// <summary>Names of the collectors that exist on <paramref name="platform"/>, in run order.</summary>
    public static IEnumerable<string> NamesFor(AgentPlatform platform) =>
        All.Where(e => e.Platform == platform).Select(e => e.Name).Distinct(StringComparer.Ordinal);

    /// <summary>Every collector name on any platform (what a configuration may name).</summary>
    public static IReadOnlySet<string> KnownNames { get; } =
        All.Select(e => e.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The entries that run on <paramref name="platform"/> with <paramref name="disabled"/> switched off.</summary>
    public static IEnumerable<Entry> Enabled(AgentPlatform platform, IReadOnlySet<string> disabled) =>
        All.Where(e => e.Platform == platform && !disabled.Contains(e.Name));

    /// <summary>Makes this platform's enabled collectors, the process collector counting the watched names.</summary>
    public static IMetricCollector[] Create(AgentOptions options, ILoggerFactory loggerFactory)
    {
        var paths = HostPaths.From(options);
        IMetricCollector[] collectors = [.. Enabled(Current, options.DisabledCollectorSet).Select(e => e.Create(paths, loggerFactory))];
        var watched = options.WatchProcessNames;
        if (watched.Count > 0)
        {
            foreach (var collector in collectors.OfType<IWatchesProcesses>())
            {
                collector.Watch(watched);
            }
        }

        return collectors;
    }
}
