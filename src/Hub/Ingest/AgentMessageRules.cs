using SysMon.Hub.Registry;
using SysMon.Protocol;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Ingest;

/// <summary>
/// What the hub accepts from an agent. Everything an agent sends is untrusted text that ends up in
/// Redis, in logs and in browsers: sizes are capped, control characters removed, and a message that
/// breaks a rule is refused with a reason the agent's operator can act on.
/// </summary>
public static class AgentMessageRules
{
    public const int MaxShortText = 256;     // hostnames, OS names, process names, mount points
    public const int MaxCommandLine = 1024;  // the agent truncates to 256; room for future agents, not for abuse
    public const int MaxCores = 4096;
    public const int MaxListItems = 512;     // filesystems, disks, interfaces
    public const int MaxProcesses = 100;
    public const int MaxSensors = 512;       // temperatures, fans
    public const int MaxGpus = 64;
    public const int MaxContainers = 1024;
    public const int MaxCollectors = 64;
    public const int MaxWatchedProcesses = WatchedProcessNames.MaxCount;

    /// <summary>Returns why <paramref name="hello"/> is refused, or null; cleans its text fields in place.</summary>
    public static string? CheckHello(Hello hello)
    {
        if (Protocol.ProtocolVersion.Problem(hello.ProtocolVersion, hello.ProtocolMinor, "agent", "hub") is { } version)
        {
            return version;
        }
        if (!MachineId.IsValid(hello.MachineId))
        {
            return $"Invalid machine id: {MachineId.Rule}.";
        }
        hello.Hostname = Clean(hello.Hostname, MaxShortText);
        hello.OsName = Clean(hello.OsName, MaxShortText);
        hello.OsVersion = Clean(hello.OsVersion, MaxShortText);
        hello.KernelVersion = Clean(hello.KernelVersion, MaxShortText);
        hello.Architecture = Clean(hello.Architecture, MaxShortText);
        hello.CpuModel = Clean(hello.CpuModel, MaxShortText);
        hello.AgentVersion = Clean(hello.AgentVersion, MaxShortText);
        hello.Platform = Clean(hello.Platform, MaxShortText);
        if (hello.Collectors.Count > MaxCollectors)
        {
            return $"Too many collectors in the hello (at most {MaxCollectors}).";
        }
        CleanAll(hello.Collectors);
        var tags = MachineTags.Normalize(hello.Tags);
        if (MachineTags.Problem(tags) is { } tagProblem)
        {
            return tagProblem;
        }
        hello.Tags.Clear();
        hello.Tags.Add(tags);
        return null;
    }

    /// <summary>Returns why <paramref name="sample"/> is refused, or null; cleans its text fields in place.</summary>
    public static string? CheckSample(Sample sample)
    {
        if (sample.Cpu is { } cpu && (cpu.CorePercent.Count > MaxCores || cpu.CoreFrequencyMhz.Count > MaxCores))
        {
            return $"Too many CPU cores in a sample (at most {MaxCores}).";
        }
        if (sample.Filesystems.Count > MaxListItems || sample.Disks.Count > MaxListItems || sample.NetworkInterfaces.Count > MaxListItems)
        {
            return $"Too many filesystems, disks or interfaces in a sample (at most {MaxListItems} each).";
        }
        if (sample.Processes.Count > MaxProcesses)
        {
            return $"Too many processes in a sample (at most {MaxProcesses}).";
        }
        if (sample.Temperatures.Count > MaxSensors || sample.Fans.Count > MaxSensors)
        {
            return $"Too many temperature or fan sensors in a sample (at most {MaxSensors} each).";
        }
        if (sample.Gpus.Count > MaxGpus)
        {
            return $"Too many GPUs in a sample (at most {MaxGpus}).";
        }
        if (sample.Containers.Count > MaxContainers)
        {
            return $"Too many containers in a sample (at most {MaxContainers}).";
        }
        if (sample.FailedCollectors.Count > MaxCollectors)
        {
            return $"Too many failed collectors in a sample (at most {MaxCollectors}).";
        }
        if (sample.WatchedProcesses.Count > MaxWatchedProcesses)
        {
            return $"Too many watched processes in a sample (at most {MaxWatchedProcesses}).";
        }
        // Refused, not cleaned: a watched name is what alert rules match on, and a cleaned one would no longer match
        // what the agent's operator configured. The agent applies the same rule at start.
        if (sample.WatchedProcesses.Count > 0
            && WatchedProcessNames.Problem([.. sample.WatchedProcesses.Select(w => w.Name)]) is { } watchProblem)
        {
            return $"Watched processes: {watchProblem}";
        }
        foreach (var fs in sample.Filesystems)
        {
            fs.MountPoint = Clean(fs.MountPoint, MaxShortText);
            fs.Device = Clean(fs.Device, MaxShortText);
            fs.FsType = Clean(fs.FsType, MaxShortText);
        }
        foreach (var disk in sample.Disks)
        {
            disk.Device = Clean(disk.Device, MaxShortText);
        }
        foreach (var nic in sample.NetworkInterfaces)
        {
            nic.Name = Clean(nic.Name, MaxShortText);
        }
        foreach (var process in sample.Processes)
        {
            process.Name = Clean(process.Name, MaxShortText);
            process.User = Clean(process.User, MaxShortText);
            process.State = Clean(process.State, 8);
            process.CommandLine = Clean(process.CommandLine, MaxCommandLine);
        }
        foreach (var temperature in sample.Temperatures)
        {
            temperature.Name = Clean(temperature.Name, MaxShortText);
        }
        foreach (var fan in sample.Fans)
        {
            fan.Name = Clean(fan.Name, MaxShortText);
        }
        foreach (var gpu in sample.Gpus)
        {
            gpu.Name = Clean(gpu.Name, MaxShortText);
            gpu.Uuid = Clean(gpu.Uuid, MaxShortText);
            gpu.Vendor = Clean(gpu.Vendor, MaxShortText);
        }
        foreach (var container in sample.Containers)
        {
            container.Id = Clean(container.Id, MaxShortText);
            container.Name = Clean(container.Name, MaxShortText);
            container.Runtime = Clean(container.Runtime, MaxShortText);
        }
        CleanAll(sample.FailedCollectors);
        return null;
    }

    private static void CleanAll(Google.Protobuf.Collections.RepeatedField<string> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            values[i] = Clean(values[i], MaxShortText);
        }
    }

    /// <summary>
    /// Truncates and drops control characters (they break logs and terminals, never a name) and unpaired
    /// surrogates; a cap never splits a surrogate pair, since half a character makes the text invalid
    /// UTF-16 that JSON writers refuse.
    /// </summary>
    public static string Clean(string value, int maxLength)
    {
        var needsWork = value.Length > maxLength;
        if (!needsWork)
        {
            foreach (var c in value)
            {
                if (char.IsControl(c) || char.IsSurrogate(c))
                {
                    needsWork = true;
                    break;
                }
            }
        }
        if (!needsWork)
        {
            return value;
        }
        var builder = new System.Text.StringBuilder(Math.Min(value.Length, maxLength));
        for (var i = 0; i < value.Length && builder.Length < maxLength; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (builder.Length + 2 > maxLength)
                {
                    break;
                }
                builder.Append(c).Append(value[i + 1]);
                i++;
            }
            else if (!char.IsControl(c) && !char.IsSurrogate(c))
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
