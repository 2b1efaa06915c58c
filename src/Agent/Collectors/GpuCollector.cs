using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SysMon.Agent.Native;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>
/// NVIDIA GPUs through NVML (<see cref="Nvml"/>): utilisation, memory, temperature, power and fan of every device.
/// </summary>
/// <remarks>
/// Without a driver the collector reports no GPUs and says so once in the log; that is the normal state of most
/// hosts, not a failure. NVML is started on the first sample, and again at most every <see cref="RetryInterval"/>
/// while it cannot be (a driver installed or loaded later is picked up). A call a device does not support
/// (NVML_ERROR_NOT_SUPPORTED: the fan of a passively cooled board) leaves that field 0; any other error on a device
/// leaves that device out of the sample. Name and UUID are read once per device.
/// </remarks>
internal sealed partial class GpuCollector : IMetricCollector, IDisposable
{
    internal const int MaxNameChars = 96;

    /// <summary>How long after a failed start NVML is tried again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyList<string> _libraryPaths;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<Device> _devices = [];
    private Nvml? _nvml;
    private Exception? _startFailure;
    private long _lastStartAttempt;
    private bool _attempted;
    private bool _loggedNoDriver;
    private bool _disposed;

    /// <param name="libraryPaths">Names or paths of the NVML library to try, in order (<see cref="DefaultLibraryPaths"/>).</param>
    public GpuCollector(IReadOnlyList<string> libraryPaths, ILogger<GpuCollector>? logger = null, TimeProvider? time = null)
    {
        _libraryPaths = libraryPaths;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Where the NVIDIA driver installs NVML on this operating system.</summary>
    public static IReadOnlyList<string> DefaultLibraryPaths()
    {
        if (!OperatingSystem.IsWindows())
        {
            return ["libnvidia-ml.so.1"];
        }

        // Current drivers put nvml.dll in System32 (found by name); older ones only under NVSMI.
        var programFiles = Environment.GetEnvironmentVariable("ProgramFiles") is { Length: > 0 } set
            ? set
            : Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles);
        return ["nvml.dll", Path.Join(programFiles, "NVIDIA Corporation", "NVSMI", "nvml.dll")];
    }

    /// <inheritdoc />
    public string Name => "gpu";

    /// <summary>True once NVML is loaded and initialised.</summary>
    internal bool Started => _nvml is not null;

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_nvml is null && !TryStart())
        {
            return;
        }

        var nvml = _nvml!;
        var result = nvml.GetCount(out var count);
        if (result != NvmlReturn.Success)
        {
            throw new InvalidOperationException($"nvmlDeviceGetCount_v2 returned {Describe(result)}.");
        }

        if (count != _devices.Count)
        {
            // A GPU came or went (hot-plug, driver reload): indices may now name other boards, so forget them all.
            _devices.Clear();
            for (var i = 0u; i < count; i++)
            {
                _devices.Add(new Device(i));
            }
        }

        foreach (var device in _devices)
        {
            if (Read(nvml, device) is { } gpu)
            {
                sample.Gpus.Add(gpu);
            }
        }
    }

    /// <summary>Shuts NVML down (it counts its initialisations) and unloads the library.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_nvml is { } nvml)
        {
            nvml.Shutdown();
            nvml.Dispose();
            _nvml = null;
        }
    }

    /// <summary>Milliwatts, as NVML reports power, in watts.</summary>
    public static double Watts(uint milliwatts) => milliwatts / 1000.0;

    // False when there is nothing to read this time. Throws (each sample until a retry works) when a library is
    // there but unusable: that is a host an operator wants to hear about, not one without a GPU.
    private bool TryStart()
    {
        var now = _time.GetTimestamp();
        if (_attempted && _time.GetElapsedTime(_lastStartAttempt, now) < RetryInterval)
        {
            return _startFailure is null ? false : throw _startFailure;
        }

        _attempted = true;
        _lastStartAttempt = now;
        _startFailure = null;
        Nvml? nvml;
        try
        {
            nvml = Nvml.TryLoad(_libraryPaths);
        }
        catch (EntryPointNotFoundException e)
        {
            _startFailure = e;
            throw;
        }

        if (nvml is null)
        {
            LogNoDriver("the NVML library is not installed");
            return false;
        }

        var result = nvml.Init();
        if (result != NvmlReturn.Success)
        {
            nvml.Dispose();
            if (result is NvmlReturn.DriverNotLoaded or NvmlReturn.LibraryNotFound)
            {
                // The library is there (a CUDA image, an uninstalled driver's leftovers) but no kernel driver is.
                LogNoDriver($"nvmlInit_v2 returned {Describe(result)}");
                return false;
            }

            _startFailure = new InvalidOperationException($"nvmlInit_v2 from {nvml.LibraryPath} returned {Describe(result)}.");
            throw _startFailure;
        }

        _nvml = nvml;
        _devices.Clear();
        var counted = nvml.GetCount(out var count) == NvmlReturn.Success ? (int)count : 0;
        // Memory info v1 (drivers before R510) counts reserved memory as used; the log says which one is read.
        GpuMetricsOn(_logger, counted, nvml.LibraryPath, nvml.HasMemoryV2 ? 2 : 1);
        return true;
    }

    private GpuSample? Read(Nvml nvml, Device device)
    {
        if (!device.Identified && !Identify(nvml, device))
        {
            return null;
        }

        var handle = device.Handle;
        if (!Usable(device, "nvmlDeviceGetUtilizationRates", nvml.GetUtilization(handle, out var utilization))
            || !Usable(device, "nvmlDeviceGetMemoryInfo", nvml.GetMemory(handle, out var totalBytes, out var usedBytes))
            || !Usable(device, "nvmlDeviceGetTemperature", nvml.GetTemperature(handle, out var celsius))
            || !Usable(device, "nvmlDeviceGetPowerUsage", nvml.GetPowerUsage(handle, out var milliwatts))
            || !Usable(device, "nvmlDeviceGetEnforcedPowerLimit", nvml.GetEnforcedPowerLimit(handle, out var limitMilliwatts))
            || !Usable(device, "nvmlDeviceGetFanSpeed", nvml.GetFanSpeed(handle, out var fanPercent)))
        {
            return null;
        }

        if (device.Failing)
        {
            device.Failing = false;
            GpuRecovered(_logger, device.Index);
        }

        return new GpuSample
        {
            Index = device.Index,
            Name = device.Name,
            Uuid = device.Uuid,
            Vendor = "nvidia",
            UtilizationPercent = utilization.Gpu,
            MemoryUtilizationPercent = utilization.Memory,
            MemoryUsedBytes = usedBytes,
            MemoryTotalBytes = totalBytes,
            TemperatureCelsius = celsius,
            PowerWatts = Watts(milliwatts),
            PowerLimitWatts = Watts(limitMilliwatts),
            FanPercent = fanPercent,
        };
    }

    // The handle, name and UUID do not change while NVML is up: read once, retried each sample until they read.
    private bool Identify(Nvml nvml, Device device)
    {
        if (!Usable(device, "nvmlDeviceGetHandleByIndex_v2", nvml.GetHandleByIndex(device.Index, out var handle))
            || !Usable(device, "nvmlDeviceGetName", nvml.GetName(handle, out var name))
            || !Usable(device, "nvmlDeviceGetUUID", nvml.GetUuid(handle, out var uuid)))
        {
            return false;
        }

        device.Handle = handle;
        device.Name = ProcFile.Truncate(name, MaxNameChars);
        device.Uuid = ProcFile.Truncate(uuid, MaxNameChars);
        device.Identified = true;
        return true;
    }

    // Success, or NOT_SUPPORTED (the field stays 0): the device reports. Anything else: it is left out this time.
    private bool Usable(Device device, string call, NvmlReturn result)
    {
        if (result is NvmlReturn.Success or NvmlReturn.NotSupported)
        {
            return true;
        }

        if (!device.Failing)
        {
            device.Failing = true;
            GpuUnreadable(_logger, device.Index, call, Describe(result));
        }

        return false;
    }

    private void LogNoDriver(string reason)
    {
        if (!_loggedNoDriver)
        {
            _loggedNoDriver = true;
            NoDriver(_logger, reason);
        }
    }

    private static string Describe(NvmlReturn result) =>
        Enum.IsDefined(result) ? $"{(int)result} ({result})" : $"{(int)result}";

    private sealed class Device(uint index)
    {
        public uint Index { get; } = index;
        public nint Handle { get; set; }
        public string Name { get; set; } = "";
        public string Uuid { get; set; } = "";
        public bool Identified { get; set; }
        public bool Failing { get; set; }
    }

    // Kept beside the collector rather than in AgentLog so the GPU work merges without touching shared files.
    [LoggerMessage(50, LogLevel.Information, "No NVIDIA driver; GPU metrics off ({Reason}).", EventName = "GpuNoDriver")]
    private static partial void NoDriver(ILogger logger, string reason);

    [LoggerMessage(51, LogLevel.Information, "GPU metrics on: {Count} NVIDIA GPU(s) through {Library}, memory info v{MemoryInfoVersion}.", EventName = "GpuMetricsOn")]
    private static partial void GpuMetricsOn(ILogger logger, int count, string library, int memoryInfoVersion);

    [LoggerMessage(52, LogLevel.Warning, "GPU {Index} cannot be read: {Call} returned {Result}; it is left out until it reads again.", EventName = "GpuUnreadable")]
    private static partial void GpuUnreadable(ILogger logger, uint index, string call, string result);

    [LoggerMessage(53, LogLevel.Information, "GPU {Index} reads again.", EventName = "GpuRecovered")]
    private static partial void GpuRecovered(ILogger logger, uint index);
}
