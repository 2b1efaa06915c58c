using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Agent.Native;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

/// <summary>
/// The NVML binding and the GPU collector, run against Fixtures/nvml-standin/nvml_standin.c: a library built here
/// from NVML's documented prototypes that reports two made-up GPUs. No NVIDIA hardware or driver is involved.
/// </summary>
public class GpuCollectorTests : IClassFixture<NvmlStandIn>
{
    private const ulong GiB = 1024UL * 1024 * 1024;
    private const ulong MiB = 1024UL * 1024;

    private readonly NvmlStandIn _standIn;
    private readonly ManualClock _clock = new();
    private readonly ListLogger _log = new();

    public GpuCollectorTests(NvmlStandIn standIn)
    {
        _standIn = standIn;
        _standIn.Reset();
    }

    private GpuCollector Create(string library) => new([library], _log, _clock);

    private static Sample Collect(GpuCollector collector)
    {
        var sample = new Sample();
        collector.Collect(sample, new CollectContext(1, 10));
        return sample;
    }

    [Fact]
    public void EveryFieldOfBothDevicesIsReported()
    {
        using var collector = Create(_standIn.Full);

        var gpus = Collect(collector).Gpus;

        Assert.Equal(2, gpus.Count);
        Assert.Equal(
            new GpuSample
            {
                Index = 0,
                Name = "NVIDIA Stand-in A100",
                Uuid = "GPU-5e1c0000-1111-2222-3333-444444444444",
                Vendor = "nvidia",
                UtilizationPercent = 37,
                MemoryUtilizationPercent = 12,
                MemoryUsedBytes = 10 * GiB,
                MemoryTotalBytes = 80 * GiB,
                TemperatureCelsius = 41,
                PowerWatts = 123.456,
                PowerLimitWatts = 400,
                FanPercent = 0,
            },
            gpus[0]);
        Assert.Equal(
            new GpuSample
            {
                Index = 1,
                Name = "NVIDIA Stand-in 4090",
                Uuid = "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                Vendor = "nvidia",
                UtilizationPercent = 99,
                MemoryUtilizationPercent = 45,
                MemoryUsedBytes = 8 * GiB,
                MemoryTotalBytes = 24 * GiB,
                TemperatureCelsius = 67,
                PowerWatts = 350.25,
                PowerLimitWatts = 450,
                FanPercent = 55,
            },
            gpus[1]);
    }

    [Theory]
    [InlineData(123456u, 123.456)]
    [InlineData(350250u, 350.25)]
    [InlineData(0u, 0)]
    public void PowerIsReadInMilliwattsAndReportedInWatts(uint milliwatts, double watts) =>
        Assert.Equal(watts, GpuCollector.Watts(milliwatts), 9);

    [Fact]
    public void UsedMemoryExcludesWhatTheDriverReserves()
    {
        using var collector = Create(_standIn.Full);

        var gpu = Collect(collector).Gpus[1];

        // The board has 512 MiB reserved; memory info v1 would say 8.5 GiB used, nvidia-smi and v2 say 8 GiB.
        Assert.Equal(8 * GiB, gpu.MemoryUsedBytes);
    }

    [Fact]
    public void ADriverWithoutMemoryInfoV2FallsBackToV1()
    {
        using var collector = Create(_standIn.WithoutMemoryV2);

        var gpus = Collect(collector).Gpus;

        Assert.Equal(2, gpus.Count);
        Assert.Equal((8 * GiB) + (512 * MiB), gpus[1].MemoryUsedBytes);
        Assert.Equal(24 * GiB, gpus[1].MemoryTotalBytes);
        Assert.Equal(10 * GiB, gpus[0].MemoryUsedBytes);
        Assert.Equal(55, gpus[1].FanPercent);
    }

    [Fact]
    public void APassivelyCooledBoardIsReportedWithFanZero()
    {
        using var collector = Create(_standIn.Full);

        var gpu = Collect(collector).Gpus[0];

        // nvmlDeviceGetFanSpeed answers NVML_ERROR_NOT_SUPPORTED for this one; the other fields are there.
        Assert.Equal(0, gpu.FanPercent);
        Assert.Equal(41, gpu.TemperatureCelsius);
        Assert.DoesNotContain(_log.Events, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void ANotSupportedFieldIsZeroAndTheDeviceStillReports()
    {
        _standIn.SetUtilizationResult(1, (int)NvmlReturn.NotSupported);
        using var collector = Create(_standIn.Full);

        var gpus = Collect(collector).Gpus;

        Assert.Equal(2, gpus.Count);
        Assert.Equal(0, gpus[1].UtilizationPercent);
        Assert.Equal(0, gpus[1].MemoryUtilizationPercent);
        Assert.Equal(67, gpus[1].TemperatureCelsius);
    }

    [Fact]
    public void ADeviceThatFailsIsLeftOutOfThatSampleOnly()
    {
        using var collector = Create(_standIn.Full);
        _standIn.SetUtilizationResult(1, (int)NvmlReturn.GpuIsLost);

        var lost = Collect(collector);
        var stillLost = Collect(collector);
        _standIn.SetUtilizationResult(1, (int)NvmlReturn.Success);
        var back = Collect(collector);

        Assert.Equal([0u], lost.Gpus.Select(g => g.Index));
        Assert.Equal([0u], stillLost.Gpus.Select(g => g.Index));
        Assert.Equal([0u, 1u], back.Gpus.Select(g => g.Index));
        Assert.Empty(lost.FailedCollectors);
        Assert.Equal(["GpuUnreadable", "GpuRecovered"], _log.Names.Where(n => n is "GpuUnreadable" or "GpuRecovered"));
        Assert.Contains(_log.Events, e => e.Message.Contains("nvmlDeviceGetUtilizationRates returned 15 (GpuIsLost)", StringComparison.Ordinal));
    }

    [Fact]
    public void NameAndUuidAreReadOncePerDevice()
    {
        using var collector = Create(_standIn.Full);

        Collect(collector);
        Collect(collector);
        var third = Collect(collector);

        Assert.Equal(2, _standIn.NameCalls);
        Assert.Equal("NVIDIA Stand-in 4090", third.Gpus[1].Name);
    }

    [Fact]
    public void DisposeShutsNvmlDown()
    {
        var before = _standIn.InitCount;
        var collector = Create(_standIn.Full);
        Collect(collector);
        var running = _standIn.InitCount;

        collector.Dispose();
        collector.Dispose();

        Assert.Equal(before + 1, running);
        Assert.Equal(before, _standIn.InitCount);
    }

    [Fact]
    public void ALibraryMissingACallFailsTheCollectorButNotTheSample()
    {
        using var collector = Create(_standIn.WithoutFanSpeed);
        var sampler = new Sampler([collector, new SensorsCollector(Fixtures.Tree("sensors-desktop"))], Options.Create(new AgentOptions()));

        sampler.Prime();
        var sample = sampler.Read();

        Assert.Equal(["gpu"], sample.FailedCollectors);
        Assert.Empty(sample.Gpus);
        Assert.NotEmpty(sample.Temperatures);
        var e = Assert.Throws<EntryPointNotFoundException>(() => Collect(collector));
        Assert.Contains("nvmlDeviceGetFanSpeed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALibraryThatIsNotThereMeansNoGpusAndNoFailure()
    {
        using var collector = Create(Path.Combine(_standIn.Directory, "no-such-dir", "libnvidia-ml.so.1"));

        var first = Collect(collector);
        _clock.Advance(GpuCollector.RetryInterval);
        var second = Collect(collector);

        Assert.Empty(first.Gpus);
        Assert.Empty(second.Gpus);
        Assert.False(collector.Started);
        var logged = Assert.Single(_log.Events);
        Assert.Equal(LogLevel.Information, logged.Level);
        Assert.StartsWith("No NVIDIA driver; GPU metrics off", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALibraryWithoutAKernelDriverIsRetriedAtMostEveryMinute()
    {
        _standIn.SetInitResult((int)NvmlReturn.DriverNotLoaded);
        using var collector = Create(_standIn.Full);

        Assert.Empty(Collect(collector).Gpus);
        _clock.Advance(GpuCollector.RetryInterval - TimeSpan.FromSeconds(1));
        Assert.Empty(Collect(collector).Gpus);
        var callsWithinTheMinute = _standIn.InitCalls;
        _standIn.SetInitResult((int)NvmlReturn.Success);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var afterTheMinute = Collect(collector);

        Assert.Equal(1, callsWithinTheMinute);
        Assert.Equal(2, _standIn.InitCalls);
        Assert.Equal(2, afterTheMinute.Gpus.Count);
        Assert.Equal(["GpuNoDriver", "GpuMetricsOn"], _log.Names);
    }

    [Fact]
    public void AnInitErrorOtherThanNoDriverFailsTheCollectorUntilARetryWorks()
    {
        _standIn.SetInitResult((int)NvmlReturn.NoPermission);
        using var collector = Create(_standIn.Full);

        var first = Assert.Throws<InvalidOperationException>(() => Collect(collector));
        Assert.Throws<InvalidOperationException>(() => Collect(collector));
        var callsWithinTheMinute = _standIn.InitCalls;
        _standIn.SetInitResult((int)NvmlReturn.Success);
        _clock.Advance(GpuCollector.RetryInterval);
        var recovered = Collect(collector);

        Assert.Contains("nvmlInit_v2", first.Message, StringComparison.Ordinal);
        Assert.Contains("4 (NoPermission)", first.Message, StringComparison.Ordinal);
        Assert.Equal(1, callsWithinTheMinute);
        Assert.Equal(2, recovered.Gpus.Count);
    }

    [Fact]
    public void TheMemoryV2StructMatchesNvmlH()
    {
        // nvml.h: unsigned int version, padded to 8, then four unsigned long longs; nvmlMemory_v2 = sizeof | 2 << 24.
        Assert.Equal(40, Unsafe.SizeOf<NvmlMemoryV2>());
        Assert.Equal(0x0200_0028u, NvmlMemoryV2.StructVersion);
        Assert.Equal(24, Unsafe.SizeOf<NvmlMemoryV1>());
        Assert.Equal(8, Unsafe.SizeOf<NvmlUtilization>());
    }

    [Fact]
    public void OnLinuxTheDriversLibraryIsLoadedBySoname()
    {
        Assert.Equal(["libnvidia-ml.so.1"], GpuCollector.DefaultLibraryPaths());
    }

    [Fact]
    public void TheCatalogRunsSensorsAndGpuAfterNetworkAndBeforeProcesses()
    {
        var linux = CollectorCatalog.NamesFor(AgentPlatform.Linux).ToList();

        Assert.Equal(linux.IndexOf("network") + 1, linux.IndexOf("sensors"));
        Assert.Equal(linux.IndexOf("sensors") + 1, linux.IndexOf("gpu"));
        Assert.True(linux.IndexOf("gpu") < linux.IndexOf("processes"));
        var windows = CollectorCatalog.NamesFor(AgentPlatform.Windows).ToList();
        Assert.Equal(windows.IndexOf("network") + 1, windows.IndexOf("gpu"));
    }

    [Fact]
    public void CollectOnThisMachineDoesNotThrow()
    {
        using var collector = new GpuCollector(GpuCollector.DefaultLibraryPaths(), _log);

        var sample = Collect(collector);
        Collect(collector);

        // No GPU here gives an empty list; a GPU host gives one entry per board with its name.
        Assert.All(sample.Gpus, g => Assert.False(string.IsNullOrEmpty(g.Name)));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>Keeps what was logged: level, event name, message.</summary>
    private sealed class ListLogger : ILogger<GpuCollector>
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Name, string Message)> _events = new();

        public IEnumerable<(LogLevel Level, string Name, string Message)> Events => _events;

        public IEnumerable<string> Names => _events.Select(e => e.Name);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _events.Enqueue((logLevel, eventId.Name ?? "", formatter(state, exception)));
    }
}

/// <summary>
/// Compiles the NVML stand-in (full, without nvmlDeviceGetMemoryInfo_v2, without nvmlDeviceGetFanSpeed) into a
/// temporary directory with the machine's C compiler, and reaches its standin_* test hooks.
/// </summary>
public sealed class NvmlStandIn : IDisposable
{
    private static readonly TimeSpan s_compileDeadline = TimeSpan.FromSeconds(60);

    private readonly nint _library;
    private readonly VoidCall _reset;
    private readonly SetIntCall _setInitResult;
    private readonly SetUtilizationCall _setUtilizationResult;
    private readonly IntCall _initCount;
    private readonly IntCall _initCalls;
    private readonly IntCall _nameCalls;

    public NvmlStandIn()
    {
        Directory = Path.Combine(Path.GetTempPath(), "sysmon-nvml-standin-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        var source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "nvml-standin", "nvml_standin.c");
        Full = Compile(source, "libnvml-standin.so");
        WithoutMemoryV2 = Compile(source, "libnvml-standin-no-memory-v2.so", "-DSTANDIN_NO_MEMORY_V2");
        WithoutFanSpeed = Compile(source, "libnvml-standin-no-fan-speed.so", "-DSTANDIN_NO_FAN_SPEED");

        // The collector's own load of the same path gets this same instance, so the hooks steer what it reads.
        _library = NativeLibrary.Load(Full);
        _reset = Hook<VoidCall>("standin_reset");
        _setInitResult = Hook<SetIntCall>("standin_set_init_result");
        _setUtilizationResult = Hook<SetUtilizationCall>("standin_set_utilization_result");
        _initCount = Hook<IntCall>("standin_init_count");
        _initCalls = Hook<IntCall>("standin_init_calls");
        _nameCalls = Hook<IntCall>("standin_name_calls");
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void VoidCall();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntCall();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetIntCall(int value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetUtilizationCall(uint index, int result);

    public string Directory { get; }

    public string Full { get; }

    public string WithoutMemoryV2 { get; }

    public string WithoutFanSpeed { get; }

    /// <summary>nvmlInit_v2's reference count: successful inits less shutdowns.</summary>
    public int InitCount => _initCount();

    /// <summary>nvmlInit_v2 calls since <see cref="Reset"/>, failed ones included.</summary>
    public int InitCalls => _initCalls();

    /// <summary>nvmlDeviceGetName calls since <see cref="Reset"/>.</summary>
    public int NameCalls => _nameCalls();

    /// <summary>Every call succeeds again and the counters restart.</summary>
    public void Reset() => _reset();

    public void SetInitResult(int result) => _setInitResult(result);

    public void SetUtilizationResult(uint index, int result) => _setUtilizationResult(index, result);

    public void Dispose()
    {
        NativeLibrary.Free(_library);
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private T Hook<T>(string name)
        where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(_library, name));

    private string Compile(string source, string fileName, params string[] defines)
    {
        var output = Path.Combine(Directory, fileName);
        var start = new ProcessStartInfo("cc")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-shared", "-fPIC", "-O1", "-Wall", "-Werror", .. defines, "-o", output, source])
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("cc did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                "The GPU collector's tests build an NVML stand-in with the C compiler, and `cc` was not found. " +
                "Install gcc (sudo apt-get install gcc, or run scripts/install-test-deps.sh) and run the tests again.", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(s_compileDeadline))
            {
                process.Kill();
                throw new TimeoutException($"cc did not finish compiling {source} within {s_compileDeadline}.");
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"cc failed ({process.ExitCode}) compiling {source}:\n{stdout.Result}{stderr.Result}");
            }
        }

        return output;
    }
}
