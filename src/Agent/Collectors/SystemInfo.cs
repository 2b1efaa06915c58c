using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>What /proc/cpuinfo says about the processor.</summary>
internal readonly record struct CpuInfo(string Model, uint LogicalCores, uint PhysicalCores);

/// <summary>The static facts about the host that go into <see cref="Hello"/>.</summary>
internal static class SystemInfo
{
    /// <summary>Version 1 of protos/sysmon/v1/monitor.proto.</summary>
    public const uint ProtocolVersion = SysMon.Protocol.ProtocolVersion.Major;

    /// <summary>The agent's informational version without the "+commit" build metadata.</summary>
    public static string AgentVersion { get; } = ReadAgentVersion();

    /// <summary>What <c>--version</c> prints: version, platform, and whether this is the native (AOT) build.</summary>
    public static string VersionLine { get; } = string.Create(CultureInfo.InvariantCulture,
        $"sysmon-agent {AgentVersion} ({CollectorCatalog.PlatformName(CollectorCatalog.Current)}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}, {(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? ".NET " + Environment.Version : "NativeAOT")}, protocol {ProtocolVersion}.{SysMon.Protocol.ProtocolVersion.Minor})");

    /// <summary>
    /// The hello for this platform: identity, hardware summary, and which collectors run.
    /// </summary>
    public static Hello ReadPlatformHello(AgentOptions options, string machineId, int sampleIntervalMs, IEnumerable<string> collectors)
    {
        var hello = CollectorCatalog.Current switch
        {
            AgentPlatform.Windows when OperatingSystem.IsWindows() => Platforms.Windows.WindowsSystemInfo.ReadHello(machineId, sampleIntervalMs),
            AgentPlatform.MacOS when OperatingSystem.IsMacOS() => Platforms.MacOS.MacSystemInfo.ReadHello(machineId, sampleIntervalMs),
            _ => ReadHello(HostPaths.From(options), machineId, sampleIntervalMs),
        };
        hello.Platform = CollectorCatalog.PlatformName(CollectorCatalog.Current);
        hello.Collectors.Add(collectors);
        hello.InContainer = ContainerDetection.IsInContainer();
        hello.Tags.Add(SysMon.Protocol.MachineTags.Parse(options.Tags));
        return hello;
    }

    /// <summary>Reads the host's identity and hardware summary from procfs and /etc (Linux).</summary>
    public static Hello ReadHello(HostPaths paths, string machineId, int sampleIntervalMs)
    {
        var (osName, osVersion) = ProcFile.TryReadAllText(paths.Etc("os-release")) is { } osRelease
            ? ParseOsRelease(osRelease)
            : (string.Empty, string.Empty);
        var cpuInfo = ProcFile.TryReadAllText(paths.Proc("cpuinfo")) is { } cpuInfoText
            ? ParseCpuInfo(cpuInfoText)
            : default;
        var procStat = ProcFile.TryReadAllText(paths.Proc("stat")) is { } statText
            ? CpuCollector.ParseProcStat(statText)
            : null;
        var memory = ProcFile.TryReadAllText(paths.Proc("meminfo")) is { } meminfo
            ? MemoryCollector.ParseMeminfo(meminfo)
            : default;
        var logicalCores = procStat?.Cores.Count(c => c is not null) ?? 0;

        return new Hello
        {
            ProtocolVersion = ProtocolVersion,
            ProtocolMinor = SysMon.Protocol.ProtocolVersion.Minor,
            MachineId = machineId,
            Hostname = ChooseHostname(ReadTrimmed(paths.Proc("sys/kernel/hostname")) ?? Environment.MachineName,
                paths.HostMountedIn ? ReadTrimmed(paths.Etc("hostname")) : null,
                LinkTarget("/proc/self/ns/uts"), paths.HostMountedIn ? LinkTarget(paths.HostNamespaceProc("ns/uts")) : null),
            OsName = osName,
            OsVersion = osVersion,
            KernelVersion = ReadTrimmed(paths.Proc("sys/kernel/osrelease")) ?? string.Empty,
            Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            CpuModel = cpuInfo.Model ?? string.Empty,
            LogicalCores = logicalCores > 0 ? (uint)logicalCores
                : cpuInfo.LogicalCores > 0 ? cpuInfo.LogicalCores
                : (uint)Environment.ProcessorCount,
            PhysicalCores = cpuInfo.PhysicalCores,
            MemoryTotalBytes = memory.TotalBytes,
            AgentVersion = AgentVersion,
            BootTimeUnixSeconds = procStat?.BootTimeUnixSeconds ?? 0,
            SampleIntervalMs = (uint)sampleIntervalMs,
        };
    }

    /// <summary>
    /// The kernel's host name is the reader's UTS namespace's: in a container that is not given the host's
    /// (Compose's <c>uts: host</c>, which older Compose versions do not know), it is the container's id. With
    /// the host's / mounted in and the namespaces different, the host's /etc/hostname names it instead. Pure.
    /// </summary>
    internal static string ChooseHostname(string kernelHostname, string? hostEtcHostname, string? ownUtsNamespace, string? hostUtsNamespace) =>
        !string.IsNullOrEmpty(hostEtcHostname) && ownUtsNamespace is not null && hostUtsNamespace is not null
            && ownUtsNamespace != hostUtsNamespace
            ? hostEtcHostname
            : kernelHostname;

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>NAME and VERSION (or VERSION_ID) of os-release(5); values may be quoted.</summary>
    public static (string Name, string Version) ParseOsRelease(string text)
    {
        string name = string.Empty, version = string.Empty, versionId = string.Empty;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var equals = line.IndexOf('=');
            if (equals <= 0 || line.TrimStart().StartsWith("#"))
            {
                continue;
            }

            var key = line[..equals].Trim();
            var value = Unquote(line[(equals + 1)..].Trim());
            if (key.SequenceEqual("NAME"))
            {
                name = value;
            }
            else if (key.SequenceEqual("VERSION"))
            {
                version = value;
            }
            else if (key.SequenceEqual("VERSION_ID"))
            {
                versionId = value;
            }
        }

        return (name, version.Length > 0 ? version : versionId);
    }

    /// <summary>
    /// CPU model ("model name"; arm kernels say "Hardware" or only "CPU part"), logical processors and
    /// physical cores (distinct physical id/core id pairs; 0 when the kernel does not say).
    /// </summary>
    public static CpuInfo ParseCpuInfo(string text)
    {
        string? model = null, hardware = null, cpuPart = null;
        uint logical = 0;
        string physicalId = "0";
        var cores = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key.SequenceEqual("processor"))
            {
                logical++;
                physicalId = "0";
            }
            else if (key.SequenceEqual("model name") || key.SequenceEqual("Processor"))
            {
                model ??= value.ToString();
            }
            else if (key.SequenceEqual("Hardware"))
            {
                hardware ??= value.ToString();
            }
            else if (key.SequenceEqual("CPU part"))
            {
                cpuPart ??= value.ToString();
            }
            else if (key.SequenceEqual("physical id"))
            {
                physicalId = value.ToString();
            }
            else if (key.SequenceEqual("core id"))
            {
                // "physical id" precedes "core id" within each processor block.
                cores.Add(string.Concat(physicalId, "/", value));
            }
        }

        var chosen = model ?? hardware ?? (cpuPart is null ? string.Empty : "CPU part " + cpuPart);
        return new CpuInfo(ProcFile.Truncate(chosen, 256), logical, (uint)cores.Count);
    }

    private static string Unquote(ReadOnlySpan<char> value)
    {
        if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
        {
            value = value[1..^1];
        }

        return value.Contains('\\') ? value.ToString().Replace("\\\"", "\"").Replace("\\\\", "\\") : value.ToString();
    }

    private static string? ReadTrimmed(string path) =>
        ProcFile.TryReadAllText(path)?.Trim() is { Length: > 0 } text ? text : null;

    private static string ReadAgentVersion()
    {
        var version = typeof(SystemInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()
            ?.InformationalVersion
            ?? typeof(SystemInfo).Assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? version[..plus] : version;
    }
}
