using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using SysMon.Agent;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

// Usage: dotnet SysMon.AgentSampling.dll [samples=120] [top=10]
// Runs this platform's collectors back to back on the live host (no waiting between readings: the
// figures are per reading, not per second) and reports, per collector and in total, the bytes allocated
// on the managed heap and the CPU time per reading, plus the encoded sample size. Last line: one JSON object.
var samples = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 120;
var top = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var options = new AgentOptions { TopProcesses = top };
var collectors = CollectorCatalog.Create(options, NullLoggerFactory.Instance);
var bytes = new long[collectors.Length];
var ticks = new long[collectors.Length];
var context = new CollectContext(1.0, top);

// Warm-up: prime rate windows, JIT the paths, let caches (names, command lines, discovered sensors) fill.
for (var i = 0; i < 20; i++)
{
    var warm = new Sample();
    foreach (var collector in collectors)
    {
        collector.Collect(warm, context);
    }
}

long sampleBytes = 0, sampleAllocated = 0;
var processes = Directory.GetDirectories("/proc").Count(d => char.IsAsciiDigit(Path.GetFileName(d)[0]));
for (var n = 0; n < samples; n++)
{
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var sample = new Sample { Sequence = (ulong)n + 1, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
    for (var i = 0; i < collectors.Length; i++)
    {
        var a0 = GC.GetAllocatedBytesForCurrentThread();
        var t0 = Stopwatch.GetTimestamp();
        collectors[i].Collect(sample, context);
        ticks[i] += Stopwatch.GetTimestamp() - t0;
        bytes[i] += GC.GetAllocatedBytesForCurrentThread() - a0;
    }

    sampleAllocated += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    sampleBytes += sample.CalculateSize();
}

var perCollector = new Dictionary<string, object>();
for (var i = 0; i < collectors.Length; i++)
{
    perCollector[collectors[i].Name] = new
    {
        allocated_bytes = bytes[i] / samples,
        cpu_microseconds = Math.Round(ticks[i] * 1e6 / Stopwatch.Frequency / samples, 1),
    };
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{collectors[i].Name,-12} {bytes[i] / samples,8} B/reading {ticks[i] * 1e6 / Stopwatch.Frequency / samples,9:0.0} µs/reading"));
}

Console.WriteLine(JsonSerializer.Serialize(new
{
    samples,
    processes_on_host = processes,
    allocated_bytes_per_sample = sampleAllocated / samples,
    collect_microseconds_per_sample = Math.Round(ticks.Sum() * 1e6 / Stopwatch.Frequency / samples, 1),
    sample_bytes = sampleBytes / samples,
    collectors = perCollector,
}));
