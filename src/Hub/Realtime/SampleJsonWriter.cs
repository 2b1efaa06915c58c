using System.Text.Json;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Realtime;

/// <summary>
/// Writes a live sample as JSON field by field: the hot path of fan-out (every sample, every hub).
/// The descriptor-driven <see cref="ProtobufJson"/> boxed every number and was the hub's biggest
/// allocation under load; this writes the very same bytes without allocating. A test compares the two
/// on a sample with every field set, so a field added to the proto and forgotten here fails the build's tests.
/// </summary>
public static class SampleJsonWriter
{
    private static readonly JsonEncodedText MachineId = JsonEncodedText.Encode("machineId");
    private static readonly JsonEncodedText Sequence = JsonEncodedText.Encode("sequence");
    private static readonly JsonEncodedText TimestampUnixMs = JsonEncodedText.Encode("timestampUnixMs");
    private static readonly JsonEncodedText UptimeSeconds = JsonEncodedText.Encode("uptimeSeconds");
    private static readonly JsonEncodedText Cpu = JsonEncodedText.Encode("cpu");
    private static readonly JsonEncodedText Memory = JsonEncodedText.Encode("memory");
    private static readonly JsonEncodedText Filesystems = JsonEncodedText.Encode("filesystems");
    private static readonly JsonEncodedText Disks = JsonEncodedText.Encode("disks");
    private static readonly JsonEncodedText NetworkInterfaces = JsonEncodedText.Encode("networkInterfaces");
    private static readonly JsonEncodedText Processes = JsonEncodedText.Encode("processes");
    private static readonly JsonEncodedText ProcessCount = JsonEncodedText.Encode("processCount");
    private static readonly JsonEncodedText IntervalSeconds = JsonEncodedText.Encode("intervalSeconds");
    private static readonly JsonEncodedText Replayed = JsonEncodedText.Encode("replayed");
    private static readonly JsonEncodedText BufferDroppedTotal = JsonEncodedText.Encode("bufferDroppedTotal");
    private static readonly JsonEncodedText Temperatures = JsonEncodedText.Encode("temperatures");
    private static readonly JsonEncodedText Fans = JsonEncodedText.Encode("fans");
    private static readonly JsonEncodedText Gpus = JsonEncodedText.Encode("gpus");
    private static readonly JsonEncodedText Containers = JsonEncodedText.Encode("containers");
    private static readonly JsonEncodedText FailedCollectors = JsonEncodedText.Encode("failedCollectors");
    private static readonly JsonEncodedText WatchedProcesses = JsonEncodedText.Encode("watchedProcesses");

    public static void Write(Utf8JsonWriter w, string machineId, Sample s)
    {
        w.WriteStartObject();
        w.WriteString(MachineId, machineId);
        w.WriteNumber(Sequence, s.Sequence);
        w.WriteNumber(TimestampUnixMs, s.TimestampUnixMs);
        Number(w, UptimeSeconds, s.UptimeSeconds);
        w.WritePropertyName(Cpu);
        WriteCpu(w, s.Cpu);
        w.WritePropertyName(Memory);
        WriteMemory(w, s.Memory);
        w.WriteStartArray(Filesystems);
        foreach (var f in s.Filesystems)
        {
            w.WriteStartObject();
            w.WriteString("mountPoint", f.MountPoint);
            w.WriteString("device", f.Device);
            w.WriteString("fsType", f.FsType);
            w.WriteNumber("totalBytes", f.TotalBytes);
            w.WriteNumber("usedBytes", f.UsedBytes);
            w.WriteNumber("freeBytes", f.FreeBytes);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray(Disks);
        foreach (var d in s.Disks)
        {
            w.WriteStartObject();
            w.WriteString("device", d.Device);
            Number(w, "readBytesPerSecond", d.ReadBytesPerSecond);
            Number(w, "writeBytesPerSecond", d.WriteBytesPerSecond);
            Number(w, "readsPerSecond", d.ReadsPerSecond);
            Number(w, "writesPerSecond", d.WritesPerSecond);
            Number(w, "busyPercent", d.BusyPercent);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray(NetworkInterfaces);
        foreach (var n in s.NetworkInterfaces)
        {
            w.WriteStartObject();
            w.WriteString("name", n.Name);
            Number(w, "rxBytesPerSecond", n.RxBytesPerSecond);
            Number(w, "txBytesPerSecond", n.TxBytesPerSecond);
            Number(w, "rxPacketsPerSecond", n.RxPacketsPerSecond);
            Number(w, "txPacketsPerSecond", n.TxPacketsPerSecond);
            Number(w, "rxErrorsPerSecond", n.RxErrorsPerSecond);
            Number(w, "txErrorsPerSecond", n.TxErrorsPerSecond);
            Number(w, "rxDropsPerSecond", n.RxDropsPerSecond);
            Number(w, "txDropsPerSecond", n.TxDropsPerSecond);
            w.WriteNumber("rxErrorsTotal", n.RxErrorsTotal);
            w.WriteNumber("txErrorsTotal", n.TxErrorsTotal);
            w.WriteNumber("rxDropsTotal", n.RxDropsTotal);
            w.WriteNumber("txDropsTotal", n.TxDropsTotal);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray(Processes);
        foreach (var p in s.Processes)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", p.Pid);
            w.WriteString("name", p.Name);
            w.WriteString("user", p.User);
            Number(w, "cpuPercent", p.CpuPercent);
            w.WriteNumber("residentBytes", p.ResidentBytes);
            Number(w, "memoryPercent", p.MemoryPercent);
            w.WriteNumber("threads", p.Threads);
            w.WriteString("state", p.State);
            w.WriteString("commandLine", p.CommandLine);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber(ProcessCount, s.ProcessCount);
        Number(w, IntervalSeconds, s.IntervalSeconds);
        w.WriteBoolean(Replayed, s.Replayed);
        w.WriteNumber(BufferDroppedTotal, s.BufferDroppedTotal);
        w.WriteStartArray(Temperatures);
        foreach (var t in s.Temperatures)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            Number(w, "celsius", t.Celsius);
            Number(w, "highCelsius", t.HighCelsius);
            Number(w, "criticalCelsius", t.CriticalCelsius);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray(Fans);
        foreach (var f in s.Fans)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            Number(w, "rpm", f.Rpm);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray(Gpus);
        foreach (var g in s.Gpus)
        {
            w.WriteStartObject();
            w.WriteNumber("index", g.Index);
            w.WriteString("name", g.Name);
            w.WriteString("uuid", g.Uuid);
            w.WriteString("vendor", g.Vendor);
            Number(w, "utilizationPercent", g.UtilizationPercent);
            Number(w, "memoryUtilizationPercent", g.MemoryUtilizationPercent);
            w.WriteNumber("memoryUsedBytes", g.MemoryUsedBytes);
            w.WriteNumber("memoryTotalBytes", g.MemoryTotalBytes);
            Number(w, "temperatureCelsius", g.TemperatureCelsius);
            Number(w, "powerWatts", g.PowerWatts);
            Number(w, "powerLimitWatts", g.PowerLimitWatts);
            Number(w, "fanPercent", g.FanPercent);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray(Containers);
        foreach (var c in s.Containers)
        {
            w.WriteStartObject();
            w.WriteString("id", c.Id);
            w.WriteString("name", c.Name);
            w.WriteString("runtime", c.Runtime);
            Number(w, "cpuPercent", c.CpuPercent);
            w.WriteNumber("memoryUsedBytes", c.MemoryUsedBytes);
            w.WriteNumber("memoryLimitBytes", c.MemoryLimitBytes);
            Number(w, "rxBytesPerSecond", c.RxBytesPerSecond);
            Number(w, "txBytesPerSecond", c.TxBytesPerSecond);
            w.WriteNumber("processCount", c.ProcessCount);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray(FailedCollectors);
        foreach (var name in s.FailedCollectors)
        {
            w.WriteStringValue(name);
        }
        w.WriteEndArray();
        w.WriteStartArray(WatchedProcesses);
        foreach (var watched in s.WatchedProcesses)
        {
            w.WriteStartObject();
            w.WriteString("name", watched.Name);
            w.WriteNumber("count", watched.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteCpu(Utf8JsonWriter w, CpuSample? c)
    {
        if (c is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        Number(w, "totalPercent", c.TotalPercent);
        Numbers(w, "corePercent", c.CorePercent);
        Number(w, "userPercent", c.UserPercent);
        Number(w, "systemPercent", c.SystemPercent);
        Number(w, "iowaitPercent", c.IowaitPercent);
        Number(w, "stealPercent", c.StealPercent);
        Number(w, "idlePercent", c.IdlePercent);
        Numbers(w, "coreFrequencyMhz", c.CoreFrequencyMhz);
        Number(w, "frequencyAvgMhz", c.FrequencyAvgMhz);
        Number(w, "frequencyMinMhz", c.FrequencyMinMhz);
        Number(w, "frequencyMaxMhz", c.FrequencyMaxMhz);
        Number(w, "load1m", c.Load1M);
        Number(w, "load5m", c.Load5M);
        Number(w, "load15m", c.Load15M);
        w.WriteEndObject();
    }

    private static void WriteMemory(Utf8JsonWriter w, MemorySample? m)
    {
        if (m is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteNumber("totalBytes", m.TotalBytes);
        w.WriteNumber("usedBytes", m.UsedBytes);
        w.WriteNumber("availableBytes", m.AvailableBytes);
        w.WriteNumber("freeBytes", m.FreeBytes);
        w.WriteNumber("buffersBytes", m.BuffersBytes);
        w.WriteNumber("cachedBytes", m.CachedBytes);
        w.WriteNumber("swapTotalBytes", m.SwapTotalBytes);
        w.WriteNumber("swapUsedBytes", m.SwapUsedBytes);
        w.WriteEndObject();
    }

    // JSON has no NaN or infinity; an agent bug must not make the whole message unreadable.
    private static void Number(Utf8JsonWriter w, JsonEncodedText name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value); else w.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value); else w.WriteNull(name);
    }

    private static void Numbers(Utf8JsonWriter w, string name, Google.Protobuf.Collections.RepeatedField<double> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            if (double.IsFinite(value)) w.WriteNumberValue(value); else w.WriteNullValue();
        }
        w.WriteEndArray();
    }
}
