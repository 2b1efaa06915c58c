using System.Runtime.InteropServices;
using System.Text;

namespace SysMon.Agent.Native;

/// <summary>nvmlReturn_t: the codes the agent tells apart (nvml.h has more; they are all failures).</summary>
internal enum NvmlReturn
{
    Success = 0,
    Uninitialized = 1,
    InvalidArgument = 2,
    NotSupported = 3,
    NoPermission = 4,
    DriverNotLoaded = 9,
    LibraryNotFound = 12,
    GpuIsLost = 15,
}

/// <summary>nvmlUtilization_t: % of the last sample period the GPU ran a kernel, and read or wrote its memory.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlUtilization
{
    public uint Gpu;
    public uint Memory;
}

/// <summary>nvmlMemory_t (v1): <c>Used</c> counts memory the driver reserves as well as what was allocated.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlMemoryV1
{
    public ulong Total;
    public ulong Free;
    public ulong Used;
}

/// <summary>nvmlMemory_v2_t: <c>Used</c> is allocated memory only, as nvidia-smi shows it; the reserved part is apart.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlMemoryV2
{
    public uint Version;
    public ulong Total;
    public ulong Reserved;
    public ulong Free;
    public ulong Used;

    /// <summary>nvml.h's <c>nvmlMemory_v2</c>: NVML_STRUCT_VERSION(Memory, 2) = sizeof(nvmlMemory_v2_t) | 2 &lt;&lt; 24.</summary>
    public static unsafe uint StructVersion => (uint)sizeof(NvmlMemoryV2) | (2u << 24);
}

/// <summary>
/// The NVIDIA Management Library (libnvidia-ml.so.1, nvml.dll), loaded at run time: the agent must start on hosts
/// without an NVIDIA driver, so it is not linked against it. Entry points are looked up once into unmanaged function
/// pointers, which need no marshalling code generated at run time (NativeAOT-safe).
/// </summary>
/// <remarks>Only the calls the GPU collector makes, with nvml.h's prototypes. Not thread-safe beyond what NVML is.</remarks>
internal sealed unsafe class Nvml : IDisposable
{
    /// <summary>NVML_DEVICE_NAME_V2_BUFFER_SIZE and NVML_DEVICE_UUID_V2_BUFFER_SIZE.</summary>
    private const int StringBufferBytes = 96;

    private const int TemperatureGpu = 0; // NVML_TEMPERATURE_GPU

    private nint _library;
    private readonly delegate* unmanaged[Cdecl]<NvmlReturn> _init;
    private readonly delegate* unmanaged[Cdecl]<NvmlReturn> _shutdown;
    private readonly delegate* unmanaged[Cdecl]<uint*, NvmlReturn> _getCount;
    private readonly delegate* unmanaged[Cdecl]<uint, nint*, NvmlReturn> _getHandleByIndex;
    private readonly delegate* unmanaged[Cdecl]<nint, byte*, uint, NvmlReturn> _getName;
    private readonly delegate* unmanaged[Cdecl]<nint, byte*, uint, NvmlReturn> _getUuid;
    private readonly delegate* unmanaged[Cdecl]<nint, NvmlUtilization*, NvmlReturn> _getUtilization;
    private readonly delegate* unmanaged[Cdecl]<nint, NvmlMemoryV2*, NvmlReturn> _getMemoryV2;
    private readonly delegate* unmanaged[Cdecl]<nint, NvmlMemoryV1*, NvmlReturn> _getMemoryV1;
    private readonly delegate* unmanaged[Cdecl]<nint, int, uint*, NvmlReturn> _getTemperature;
    private readonly delegate* unmanaged[Cdecl]<nint, uint*, NvmlReturn> _getPowerUsage;
    private readonly delegate* unmanaged[Cdecl]<nint, uint*, NvmlReturn> _getEnforcedPowerLimit;
    private readonly delegate* unmanaged[Cdecl]<nint, uint*, NvmlReturn> _getFanSpeed;

    private Nvml(nint library, string path)
    {
        _library = library;
        LibraryPath = path;
        _init = (delegate* unmanaged[Cdecl]<NvmlReturn>)Export("nvmlInit_v2");
        _shutdown = (delegate* unmanaged[Cdecl]<NvmlReturn>)Export("nvmlShutdown");
        _getCount = (delegate* unmanaged[Cdecl]<uint*, NvmlReturn>)Export("nvmlDeviceGetCount_v2");
        _getHandleByIndex = (delegate* unmanaged[Cdecl]<uint, nint*, NvmlReturn>)Export("nvmlDeviceGetHandleByIndex_v2");
        _getName = (delegate* unmanaged[Cdecl]<nint, byte*, uint, NvmlReturn>)Export("nvmlDeviceGetName");
        _getUuid = (delegate* unmanaged[Cdecl]<nint, byte*, uint, NvmlReturn>)Export("nvmlDeviceGetUUID");
        _getUtilization = (delegate* unmanaged[Cdecl]<nint, NvmlUtilization*, NvmlReturn>)Export("nvmlDeviceGetUtilizationRates");
        _getMemoryV1 = (delegate* unmanaged[Cdecl]<nint, NvmlMemoryV1*, NvmlReturn>)Export("nvmlDeviceGetMemoryInfo");
        _getTemperature = (delegate* unmanaged[Cdecl]<nint, int, uint*, NvmlReturn>)Export("nvmlDeviceGetTemperature");
        _getPowerUsage = (delegate* unmanaged[Cdecl]<nint, uint*, NvmlReturn>)Export("nvmlDeviceGetPowerUsage");
        _getEnforcedPowerLimit = (delegate* unmanaged[Cdecl]<nint, uint*, NvmlReturn>)Export("nvmlDeviceGetEnforcedPowerLimit");
        _getFanSpeed = (delegate* unmanaged[Cdecl]<nint, uint*, NvmlReturn>)Export("nvmlDeviceGetFanSpeed");

        // Drivers before R510 lack the v2 call; v1 is the best they offer.
        _getMemoryV2 = NativeLibrary.TryGetExport(library, "nvmlDeviceGetMemoryInfo_v2", out var v2)
            ? (delegate* unmanaged[Cdecl]<nint, NvmlMemoryV2*, NvmlReturn>)v2
            : null;
    }

    /// <summary>The path or name the library was loaded from.</summary>
    public string LibraryPath { get; }

    /// <summary>False when the library predates nvmlDeviceGetMemoryInfo_v2, so used memory includes the reserved part.</summary>
    public bool HasMemoryV2 => _getMemoryV2 != null;

    /// <summary>
    /// Loads the first of <paramref name="candidates"/> that loads; null when none does (no driver installed).
    /// </summary>
    /// <exception cref="EntryPointNotFoundException">The library loaded but lacks a call the agent needs.</exception>
    public static Nvml? TryLoad(IEnumerable<string> candidates)
    {
        foreach (var path in candidates)
        {
            if (!NativeLibrary.TryLoad(path, out var library))
            {
                continue;
            }

            try
            {
                return new Nvml(library, path);
            }
            catch (EntryPointNotFoundException)
            {
                NativeLibrary.Free(library);
                throw;
            }
        }

        return null;
    }

    public NvmlReturn Init() => _init();

    public NvmlReturn Shutdown() => _shutdown();

    public NvmlReturn GetCount(out uint count)
    {
        uint value = 0;
        var result = _getCount(&value);
        count = value;
        return result;
    }

    public NvmlReturn GetHandleByIndex(uint index, out nint device)
    {
        nint value = 0;
        var result = _getHandleByIndex(index, &value);
        device = value;
        return result;
    }

    public NvmlReturn GetName(nint device, out string name) => GetString(_getName, device, out name);

    public NvmlReturn GetUuid(nint device, out string uuid) => GetString(_getUuid, device, out uuid);

    public NvmlReturn GetUtilization(nint device, out NvmlUtilization utilization)
    {
        NvmlUtilization value = default;
        var result = _getUtilization(device, &value);
        utilization = value;
        return result;
    }

    /// <summary>Total and used bytes: v2's "used" (reserved memory excluded) where the library has it, else v1's.</summary>
    public NvmlReturn GetMemory(nint device, out ulong totalBytes, out ulong usedBytes)
    {
        NvmlReturn result;
        if (_getMemoryV2 != null)
        {
            var v2 = new NvmlMemoryV2 { Version = NvmlMemoryV2.StructVersion };
            result = _getMemoryV2(device, &v2);
            (totalBytes, usedBytes) = (v2.Total, v2.Used);
        }
        else
        {
            NvmlMemoryV1 v1 = default;
            result = _getMemoryV1(device, &v1);
            (totalBytes, usedBytes) = (v1.Total, v1.Used);
        }

        return result;
    }

    /// <summary>The GPU die's temperature, °C.</summary>
    public NvmlReturn GetTemperature(nint device, out uint celsius)
    {
        uint read = 0;
        var result = _getTemperature(device, TemperatureGpu, &read);
        celsius = read;
        return result;
    }

    /// <summary>Power draw of the board, milliwatts.</summary>
    public NvmlReturn GetPowerUsage(nint device, out uint milliwatts) => GetUInt(_getPowerUsage, device, out milliwatts);

    /// <summary>The power limit the driver enforces, milliwatts.</summary>
    public NvmlReturn GetEnforcedPowerLimit(nint device, out uint milliwatts) =>
        GetUInt(_getEnforcedPowerLimit, device, out milliwatts);

    /// <summary>Fan speed, % of maximum; NotSupported on passively cooled boards.</summary>
    public NvmlReturn GetFanSpeed(nint device, out uint percent) => GetUInt(_getFanSpeed, device, out percent);

    /// <summary>Unloads the library (call <see cref="Shutdown"/> first if <see cref="Init"/> succeeded).</summary>
    public void Dispose()
    {
        if (_library != 0)
        {
            NativeLibrary.Free(_library);
            _library = 0;
        }
    }

    private nint Export(string name) =>
        NativeLibrary.TryGetExport(_library, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"{LibraryPath} has no {name}: not an NVML this agent can use.");

    private static NvmlReturn GetUInt(delegate* unmanaged[Cdecl]<nint, uint*, NvmlReturn> call, nint device, out uint value)
    {
        uint read = 0;
        var result = call(device, &read);
        value = read;
        return result;
    }

    private static NvmlReturn GetString(
        delegate* unmanaged[Cdecl]<nint, byte*, uint, NvmlReturn> call, nint device, out string value)
    {
        var buffer = stackalloc byte[StringBufferBytes];
        var result = call(device, buffer, StringBufferBytes);
        buffer[StringBufferBytes - 1] = 0; // never read past the buffer, whatever the library wrote
        value = result == NvmlReturn.Success
            ? Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer))
            : "";
        return result;
    }
}
