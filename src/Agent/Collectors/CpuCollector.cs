using System.Globalization;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>Jiffies of one /proc/stat cpu line. Guest time is already inside user/nice, so it is not read.</summary>
internal readonly record struct CpuTicks(
    ulong User, ulong Nice, ulong System, ulong Idle, ulong IoWait, ulong Irq, ulong SoftIrq, ulong Steal);

/// <summary>What /proc/stat says about the CPUs. <c>Cores[n]</c> is null when core n is offline.</summary>
internal sealed record ProcStatCpu(CpuTicks Total, CpuTicks?[] Cores, long BootTimeUnixSeconds);

/// <summary>Shares of the CPU time over an interval, in percent (0..100).</summary>
internal readonly record struct CpuPercentages(
    double Busy, double User, double System, double IoWait, double Steal, double Idle);

/// <summary>Load averages from /proc/loadavg.</summary>
internal readonly record struct LoadAverage(double OneMinute, double FiveMinutes, double FifteenMinutes);

/// <summary>CPU utilisation (/proc/stat deltas), frequency (cpufreq or /proc/cpuinfo) and load (/proc/loadavg).</summary>
internal sealed class CpuCollector(HostPaths paths) : IMetricCollector
{
    // /proc/cpuinfo is costly for the kernel to produce (it measures every core's clock) and, where it is the
    // only source (VMs without cpufreq), barely changes: it is read at most this often.
    internal static readonly TimeSpan CpuInfoMaxAge = TimeSpan.FromSeconds(30);

    private readonly ProcReader _reader = new();
    private readonly List<double> _cpuInfoMhz = [];
    private long _cpuInfoReadAt;
    private ProcStatCpu? _previous;
    private readonly List<double> _frequenciesMhz = [];

    internal HostPaths Paths { get; set; } = paths;

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var current = ParseProcStat(_reader.ReadText(Paths.Proc("stat")));
        var previous = _previous;
        _previous = current;

        var cpu = new CpuSample();
        if (previous is not null)
        {
            var total = ComputePercentages(previous.Total, current.Total);
            cpu.TotalPercent = total.Busy;
            cpu.UserPercent = total.User;
            cpu.SystemPercent = total.System;
            cpu.IowaitPercent = total.IoWait;
            cpu.StealPercent = total.Steal;
            cpu.IdlePercent = total.Idle;
            for (var core = 0; core < current.Cores.Length; core++)
            {
                // A core that came online during the interval (or is offline) has no window: report 0.
                var before = core < previous.Cores.Length ? previous.Cores[core] : null;
                var now = current.Cores[core];
                cpu.CorePercent.Add(before is { } b && now is { } n ? ComputePercentages(b, n).Busy : 0);
            }
        }

        ReadFrequenciesMhz(current.Cores.Length);
        if (_frequenciesMhz.Count > 0)
        {
            cpu.CoreFrequencyMhz.AddRange(_frequenciesMhz);
            cpu.FrequencyAvgMhz = _frequenciesMhz.Average();
            cpu.FrequencyMinMhz = _frequenciesMhz.Min();
            cpu.FrequencyMaxMhz = _frequenciesMhz.Max();
        }

        if (_reader.TryReadText(Paths.Proc("loadavg"), out var loadText))
        {
            var load = ParseLoadAverage(loadText);
            cpu.Load1M = load.OneMinute;
            cpu.Load5M = load.FiveMinutes;
            cpu.Load15M = load.FifteenMinutes;
        }

        sample.Cpu = cpu;
    }

    /// <summary>Parses the cpu lines and btime of /proc/stat.</summary>
    public static ProcStatCpu ParseProcStat(ReadOnlySpan<char> text)
    {
        CpuTicks total = default;
        var cores = new List<CpuTicks?>();
        long bootTime = 0;
        foreach (var line in text.EnumerateLines())
        {
            if (line.StartsWith("cpu"))
            {
                var fields = new FieldReader(line);
                fields.TryNext(out var label);
                var ticks = new CpuTicks(
                    User: fields.NextUInt64(),
                    Nice: fields.NextUInt64(),
                    System: fields.NextUInt64(),
                    Idle: fields.NextUInt64(),
                    IoWait: fields.NextUInt64(),
                    Irq: fields.NextUInt64(),
                    SoftIrq: fields.NextUInt64(),
                    Steal: fields.NextUInt64());
                if (label.Length == 3)
                {
                    total = ticks;
                }
                else if (int.TryParse(label[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    && index < 65_536)
                {
                    // Offline cores have no line; keep the index = core number by padding with nulls.
                    while (cores.Count <= index)
                    {
                        cores.Add(null);
                    }

                    cores[index] = ticks;
                }
            }
            else if (line.StartsWith("btime "))
            {
                bootTime = (long)ProcFile.ParseUInt64(line[6..].Trim());
            }
        }

        return new ProcStatCpu(total, [.. cores], bootTime);
    }

    /// <summary>Splits the CPU time between two readings into percentages; counters that went backwards count as 0.</summary>
    public static CpuPercentages ComputePercentages(in CpuTicks previous, in CpuTicks current)
    {
        double user = Counter.Delta(previous.User, current.User) + Counter.Delta(previous.Nice, current.Nice);
        double system = Counter.Delta(previous.System, current.System)
            + Counter.Delta(previous.Irq, current.Irq)
            + Counter.Delta(previous.SoftIrq, current.SoftIrq);
        double idle = Counter.Delta(previous.Idle, current.Idle);
        double ioWait = Counter.Delta(previous.IoWait, current.IoWait);
        double steal = Counter.Delta(previous.Steal, current.Steal);
        var total = user + system + idle + ioWait + steal;
        if (total <= 0)
        {
            return default;
        }

        var scale = 100.0 / total;
        return new CpuPercentages(
            // On a saturated host idle is 0 and the product can round to 100.00000000000001.
            Busy: Math.Min(100, (user + system + steal) * scale),
            User: user * scale,
            System: system * scale,
            IoWait: ioWait * scale,
            Steal: steal * scale,
            Idle: idle * scale);
    }

    /// <summary>Parses /proc/loadavg ("0.52 0.58 0.59 2/1045 12345").</summary>
    public static LoadAverage ParseLoadAverage(ReadOnlySpan<char> text)
    {
        var fields = new FieldReader(text);
        fields.TryNext(out var one);
        fields.TryNext(out var five);
        fields.TryNext(out var fifteen);
        return new LoadAverage(ProcFile.ParseDouble(one), ProcFile.ParseDouble(five), ProcFile.ParseDouble(fifteen));
    }

    /// <summary>The "cpu MHz" values of /proc/cpuinfo, in processor order.</summary>
    public static List<double> ParseCpuInfoMhz(ReadOnlySpan<char> text)
    {
        var result = new List<double>();
        foreach (var line in text.EnumerateLines())
        {
            if (line.StartsWith("cpu MHz"))
            {
                var colon = line.IndexOf(':');
                if (colon > 0)
                {
                    result.Add(ProcFile.ParseDouble(line[(colon + 1)..].Trim()));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Current frequency per core: cpufreq's scaling_cur_freq (kHz) when every core has one, otherwise the
    /// "cpu MHz" lines of /proc/cpuinfo; empty when neither is there (many VMs and arm boards).
    /// </summary>
    private void ReadFrequenciesMhz(int coreCount)
    {
        var result = _frequenciesMhz;
        result.Clear();
        for (var core = 0; core < coreCount; core++)
        {
            var path = Paths.Sys(string.Create(
                CultureInfo.InvariantCulture, $"devices/system/cpu/cpu{core}/cpufreq/scaling_cur_freq"));
            if (!_reader.TryReadText(path, out var khzText))
            {
                result.Clear();
                break;
            }

            result.Add(ProcFile.ParseUInt64(khzText.Trim()) / 1000.0);
        }

        if (result.Count > 0)
        {
            return;
        }

        if (_cpuInfoReadAt == 0 || System.Diagnostics.Stopwatch.GetElapsedTime(_cpuInfoReadAt) >= CpuInfoMaxAge)
        {
            _cpuInfoReadAt = System.Diagnostics.Stopwatch.GetTimestamp();
            _cpuInfoMhz.Clear();
            if (_reader.TryReadText(Paths.Proc("cpuinfo"), out var cpuInfo))
            {
                _cpuInfoMhz.AddRange(ParseCpuInfoMhz(cpuInfo));
            }
        }

        result.AddRange(_cpuInfoMhz);
    }
}
