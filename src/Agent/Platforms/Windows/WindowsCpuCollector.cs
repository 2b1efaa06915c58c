using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// CPU utilisation per core (NtQuerySystemInformation SystemProcessorPerformanceInformation deltas) and current
/// frequency per core (CallNtPowerInformation ProcessorInformation).
/// </summary>
/// <remarks>
/// Windows keeps no load average (nothing like Linux's exponentially averaged run queue), so load_1m, load_5m and
/// load_15m stay 0. SystemProcessorPerformanceInformation covers the processor group the agent runs in, which
/// is every processor on machines with up to 64.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed unsafe class WindowsCpuCollector : IMetricCollector
{
    private byte[] _buffer;
    private byte[] _powerBuffer;
    private List<ProcessorTimes> _previous = [];
    private List<ProcessorTimes> _current = [];
    private readonly List<double> _frequenciesMhz = [];
    private bool _frequencyUnavailable;

    public WindowsCpuCollector()
    {
        var processors = (int)Math.Max(1, WindowsNative.GetActiveProcessorCount(WindowsNative.AllProcessorGroups));
        _buffer = new byte[processors * WindowsCpuTimes.ProcessorPerformanceSize];
        _powerBuffer = new byte[processors * WindowsCpuTimes.PowerInformationSize];
    }

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        ReadProcessorTimes(_current);
        var cpu = new CpuSample();
        if (_previous.Count > 0)
        {
            ProcessorTimes totalBefore = default, totalNow = default;
            for (var core = 0; core < _current.Count; core++)
            {
                totalNow += _current[core];
                if (core < _previous.Count)
                {
                    totalBefore += _previous[core];
                }
            }

            var total = WindowsCpuTimes.ComputePercentages(totalBefore, totalNow);
            cpu.TotalPercent = total.Busy;
            cpu.UserPercent = total.User;
            cpu.SystemPercent = total.System;
            cpu.IdlePercent = total.Idle;
            for (var core = 0; core < _current.Count; core++)
            {
                cpu.CorePercent.Add(core < _previous.Count
                    ? WindowsCpuTimes.ComputePercentages(_previous[core], _current[core]).Busy
                    : 0);
            }
        }

        ReadFrequenciesMhz(_current.Count);
        if (_frequenciesMhz.Count > 0)
        {
            cpu.CoreFrequencyMhz.AddRange(_frequenciesMhz);
            double sum = 0, min = double.MaxValue, max = 0;
            foreach (var mhz in _frequenciesMhz)
            {
                sum += mhz;
                min = Math.Min(min, mhz);
                max = Math.Max(max, mhz);
            }

            cpu.FrequencyAvgMhz = sum / _frequenciesMhz.Count;
            cpu.FrequencyMinMhz = min;
            cpu.FrequencyMaxMhz = max;
        }

        sample.Cpu = cpu;
        (_previous, _current) = (_current, _previous);
    }

    private void ReadProcessorTimes(List<ProcessorTimes> into)
    {
        for (var attempt = 0; ; attempt++)
        {
            uint written;
            int status;
            fixed (byte* buffer = _buffer)
            {
                status = WindowsNative.NtQuerySystemInformation(
                    WindowsNative.SystemProcessorPerformanceInformation, buffer, (uint)_buffer.Length, out written);
            }

            if (status == WindowsNative.StatusInfoLengthMismatch && attempt == 0)
            {
                // More processors than at start (hot-add): make room and ask again.
                _buffer = new byte[Math.Max(written, (uint)_buffer.Length + WindowsCpuTimes.ProcessorPerformanceSize)];
                continue;
            }

            if (status != WindowsNative.StatusSuccess)
            {
                throw WindowsNative.NtFailure("NtQuerySystemInformation(SystemProcessorPerformanceInformation)", status);
            }

            WindowsCpuTimes.ParseProcessorPerformance(_buffer.AsSpan(0, (int)Math.Min(written, (uint)_buffer.Length)), into);
            return;
        }
    }

    /// <summary>
    /// CurrentMhz per processor. Many firmwares report the base clock there rather than the boosted one, so it
    /// reads like cpufreq's scaling_cur_freq on a fixed-clock machine; empty when the call is refused.
    /// </summary>
    private void ReadFrequenciesMhz(int processorCount)
    {
        _frequenciesMhz.Clear();
        if (_frequencyUnavailable || processorCount == 0)
        {
            return;
        }

        // The call wants a record for every processor in the system (all groups), even though the times above
        // cover one group; the buffer is sized for all of them and only this group's numbers are kept.
        var needed = processorCount * WindowsCpuTimes.PowerInformationSize;
        if (_powerBuffer.Length < needed)
        {
            _powerBuffer = new byte[needed];
        }

        int status;
        fixed (byte* buffer = _powerBuffer)
        {
            status = WindowsNative.CallNtPowerInformation(
                WindowsNative.ProcessorInformation, null, 0, buffer, (uint)_powerBuffer.Length);
        }

        if (status != WindowsNative.StatusSuccess)
        {
            // Refused (a sandbox without power information, a processor added since start): stop asking every
            // second rather than fail the same way each time.
            _frequencyUnavailable = true;
            return;
        }

        WindowsCpuTimes.ParsePowerInformation(_powerBuffer, processorCount, _frequenciesMhz);
    }
}
