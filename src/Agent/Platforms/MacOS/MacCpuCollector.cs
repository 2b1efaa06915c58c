using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>
/// CPU utilisation from host_processor_info(PROCESSOR_CPU_LOAD_INFO) tick deltas, load from getloadavg, and the
/// nominal frequency from hw.cpufrequency where the kernel has one (Intel; Apple silicon reports none).
/// </summary>
[SupportedOSPlatform("macos")]
internal sealed class MacCpuCollector : IMetricCollector
{
    private readonly double _nominalMhz = (MacNative.TrySysctlInteger("hw.cpufrequency\0"u8) ?? 0) / 1e6;
    private byte[] _buffer = new byte[64 * MacStructs.CpuLoadInfoSize];
    private List<MacCpuTicks> _previousCores = [];
    private List<MacCpuTicks> _currentCores = [];
    private MacCpuTicks _previousTotal;
    private bool _primed;

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var length = MacNative.ReadCpuLoadInfo(ref _buffer);
        var total = MacStructs.ParseCpuLoadInfo(_buffer.AsSpan(0, length), _currentCores);

        var cpu = new CpuSample();
        if (_primed)
        {
            var shares = MacMetrics.ComputePercentages(_previousTotal, total);
            cpu.TotalPercent = shares.Busy;
            cpu.UserPercent = shares.User;
            cpu.SystemPercent = shares.System;
            cpu.IdlePercent = shares.Idle;
            for (var core = 0; core < _currentCores.Count; core++)
            {
                cpu.CorePercent.Add(core < _previousCores.Count
                    ? MacMetrics.ComputePercentages(_previousCores[core], _currentCores[core]).Busy
                    : 0);
            }
        }

        // hw.cpufrequency is the rated clock, not the current one; per-core values stay empty rather than repeat it.
        if (_nominalMhz > 0)
        {
            cpu.FrequencyAvgMhz = _nominalMhz;
            cpu.FrequencyMinMhz = _nominalMhz;
            cpu.FrequencyMaxMhz = _nominalMhz;
        }

        var load = MacNative.LoadAverages();
        cpu.Load1M = load.OneMinute;
        cpu.Load5M = load.FiveMinutes;
        cpu.Load15M = load.FifteenMinutes;
        sample.Cpu = cpu;

        _previousTotal = total;
        (_previousCores, _currentCores) = (_currentCores, _previousCores);
        _primed = true;
    }
}
