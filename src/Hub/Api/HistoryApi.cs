using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using SysMon.Hub.History;
using SysMon.Hub.History.Storage;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Api;

/// <summary>History of one machine: metrics over a time range (JSON or CSV) and the top processes at a moment.</summary>
public static class HistoryApi
{
    /// <summary>More points than this in one answer is a mistake (or an attack), not a chart.</summary>
    public const int MaxPoints = 20_000;

    /// <summary>With no step given, the step is chosen to give about this many points.</summary>
    public const int DefaultPoints = 720;

    public static RouteGroupBuilder MapHistoryApi(this RouteGroupBuilder machines)
    {
        machines.MapGet("/{id}/history", (string id, HttpContext http, string? from, string? to, string? step, IMachineRegistry registry,
                IHistoryStore store, IOptions<HistoryOptions> options, TimeProvider time) =>
            GetHistoryAsync(id, from, to, step, WantsCsv(http.Request), registry, store, options.Value, time));
        machines.MapGet("/{id}/history.csv", (string id, string? from, string? to, string? step, IMachineRegistry registry,
                IHistoryStore store, IOptions<HistoryOptions> options, TimeProvider time) =>
            GetHistoryAsync(id, from, to, step, csv: true, registry, store, options.Value, time));
        machines.MapGet("/{id}/processes", GetProcessesAsync);
        return machines;
    }

    private static bool WantsCsv(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("text/csv", StringComparison.OrdinalIgnoreCase));

    public static async Task<IResult> GetHistoryAsync(string id, string? from, string? to, string? step, bool csv,
        IMachineRegistry registry, IHistoryStore store, HistoryOptions options, TimeProvider time)
    {
        if (MachinesApi.InvalidId(id) is { } invalid)
        {
            return invalid;
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!TryParseTime(to, now, out var toMs))
        {
            return BadRequest("to", to);
        }
        if (!TryParseTime(from, toMs - (15 * 60 * 1000), out var fromMs))
        {
            return BadRequest("from", from);
        }
        if (fromMs >= toMs)
        {
            return Results.Problem(statusCode: 400, title: "Bad time range", detail: "'from' must be before 'to'.");
        }
        var rangeSeconds = Math.Max(1, (toMs - fromMs) / 1000);
        long stepSeconds;
        if (string.IsNullOrEmpty(step))
        {
            stepSeconds = Math.Max(1, (long)Math.Ceiling(rangeSeconds / (double)DefaultPoints));
        }
        else if (!TryParseDuration(step, out stepSeconds))
        {
            return Results.Problem(statusCode: 400, title: "Bad step",
                detail: $"'step' must be whole seconds (e.g. 10) or a duration such as 10s, 5m, 1h; got '{Truncate(step)}'.");
        }
        if (rangeSeconds / stepSeconds > MaxPoints)
        {
            return Results.Problem(statusCode: 400, title: "Too many points",
                detail: $"{rangeSeconds / stepSeconds} points requested; at most {MaxPoints}. Use a larger step or a shorter range.");
        }
        if (await registry.GetAsync(id) is null)
        {
            return MachinesApi.UnknownMachine(id);
        }

        var tier = ChooseTier(options, fromMs / 1000, now / 1000, stepSeconds);
        stepSeconds = Math.Max(stepSeconds, tier.StepSeconds);
        var stored = await store.ReadAsync(id, tier, FloorDiv(fromMs, 1000), CeilDiv(toMs, 1000));
        var points = Downsample(stored.Where(p => p.TimestampUnixMs >= fromMs && p.TimestampUnixMs < toMs).ToList(), tier, stepSeconds);
        return csv
            ? Results.Text(HistoryCsv.Write(points), "text/csv; charset=utf-8")
            : Results.Ok(new HistoryDto(id, fromMs, toMs, stepSeconds, tier.Name, points.Select(HistoryPointDto.From).ToList()));
    }

    /// <summary>
    /// The finest tier that still holds <paramref name="fromSeconds"/> and is not finer than needed: a
    /// 24-hour chart at 1-minute steps reads the 10 s tier, not 86,400 raw points.
    /// </summary>
    /// <remarks>
    /// A tier counts as holding a range that starts up to one step of the next tier before its retention:
    /// "the last 15 minutes" asked a moment ago arrives a few seconds past the raw tier's 15 minutes, and
    /// would otherwise get 10 s averages or every sample depending on the request's latency. The price is at
    /// most one missing step at the left edge.
    /// </remarks>
    internal static HistoryTier ChooseTier(HistoryOptions options, long fromSeconds, long nowSeconds, long stepSeconds)
    {
        var tiers = options.Tiers;
        bool Holds(int index) =>
            fromSeconds >= nowSeconds - tiers[index].RetentionSeconds - (index + 1 < tiers.Count ? tiers[index + 1].StepSeconds : 0);
        for (var i = 0; i < tiers.Count; i++)
        {
            var tier = tiers[i];
            var covers = Holds(i);
            var next = i + 1 < tiers.Count ? tiers[i + 1] : null;
            var nextFitsStep = next is not null && next.StepSeconds <= stepSeconds && Holds(i + 1);
            if (covers && !nextFitsStep)
            {
                return tier;
            }
        }
        return tiers[^1];
    }

    internal static List<HistoryPoint> Downsample(List<HistoryPoint> points, HistoryTier tier, long stepSeconds)
    {
        if (stepSeconds <= tier.StepSeconds)
        {
            return points;
        }
        var result = new List<HistoryPoint>();
        foreach (var group in points.GroupBy(p => FloorDiv(p.TimestampUnixMs, stepSeconds * 1000) * stepSeconds * 1000).OrderBy(g => g.Key))
        {
            if (HistoryPoints.Aggregate(group.ToList(), group.Key) is { } point)
            {
                result.Add(point);
            }
        }
        return result;
    }

    /// <summary>The top processes at <c>at</c> (Unix ms or ISO 8601; default: the latest sample).</summary>
    public static async Task<IResult> GetProcessesAsync(string id, string? at, IMachineRegistry registry, IHistoryStore store,
        IOptions<HistoryOptions> options, TimeProvider time)
    {
        if (MachinesApi.InvalidId(id) is { } invalid)
        {
            return invalid;
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!TryParseTime(at, now, out var atMs))
        {
            return BadRequest("at", at);
        }
        var machine = await registry.GetAsync(id, withLastSample: string.IsNullOrEmpty(at));
        if (machine is null)
        {
            return MachinesApi.UnknownMachine(id);
        }
        if (string.IsNullOrEmpty(at) && machine.LastSample is { } last)
        {
            // Now: the live values at full precision, not the rounded form history keeps.
            return Results.Ok(new ProcessesDto(id, last.TimestampUnixMs, last.Processes.Select(p => new ProcessPointDto(
                p.Pid, p.Name, p.User, p.CpuPercent, p.ResidentBytes, p.MemoryPercent, p.Threads, p.State, p.CommandLine)).ToList()));
        }
        var lookback = 2L * options.Value.ProcessSnapshotSeconds;
        var snapshot = await store.ReadProcessesAsync(id, FloorDiv(atMs, 1000), lookback);
        return snapshot is null
            ? Results.Problem(statusCode: 404, title: "No process snapshot",
                detail: $"No snapshot of '{id}' within {lookback} s before {DateTimeOffset.FromUnixTimeMilliseconds(atMs):O}.")
            : Results.Ok(ProcessesDto.From(id, snapshot));
    }

    private static IResult BadRequest(string name, string? value) => Results.Problem(statusCode: 400, title: $"Bad '{name}'",
        detail: $"'{name}' must be Unix milliseconds or an ISO 8601 time such as 2026-11-25T03:00:00Z; got '{Truncate(value)}'.");

    private static string Truncate(string? value) => value is null ? "" : value.Length > 64 ? value[..64] + "…" : value;

    /// <summary>Unix milliseconds or ISO 8601; empty means <paramref name="fallback"/>.</summary>
    internal static bool TryParseTime(string? text, long fallback, out long unixMs)
    {
        unixMs = fallback;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out unixMs))
        {
            return unixMs is > 0 and < 32503680000000; // before year 3000
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            unixMs = time.ToUnixTimeMilliseconds();
            return unixMs > 0;
        }
        return false;
    }

    /// <summary>Whole seconds, or a number with s, m, h or d.</summary>
    internal static bool TryParseDuration(string text, out long seconds)
    {
        seconds = 0;
        var unit = text[^1] switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86400L, _ => 0L };
        var number = unit == 0 ? text : text[..^1];
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0 || value > 366L * 86400)
        {
            return false;
        }
        seconds = value * (unit == 0 ? 1 : unit);
        return seconds <= 366L * 86400;
    }

    private static long FloorDiv(long value, long divisor) => (long)Math.Floor(value / (double)divisor);

    private static long CeilDiv(long value, long divisor) => (long)Math.Ceiling(value / (double)divisor);
}

public sealed record HistoryDto(string MachineId, long FromUnixMs, long ToUnixMs, long StepSeconds, string Tier, List<HistoryPointDto> Points);

/// <summary>A history point in the units of the live sample (percent, bytes, per second).</summary>
public sealed record HistoryPointDto(
    long TimestampUnixMs,
    uint Samples,
    CpuStatDto Cpu,
    List<double> CorePercent,
    double Load1m,
    double Load5m,
    double Load15m,
    MemoryPointDto Memory,
    List<DiskPointDto> Disks,
    List<FilesystemPointDto> Filesystems,
    List<NetworkPointDto> NetworkInterfaces)
{
    public static HistoryPointDto From(HistoryPoint p) => new(
        p.TimestampUnixMs,
        p.SampleCount,
        new CpuStatDto((p.CpuPermille?.Avg ?? 0) / 10.0, (p.CpuPermille?.Min ?? 0) / 10.0, (p.CpuPermille?.Max ?? 0) / 10.0),
        p.CorePermille.Select(c => c / 10.0).ToList(),
        p.Load1MCenti / 100.0, p.Load5MCenti / 100.0, p.Load15MCenti / 100.0,
        new MemoryPointDto(p.MemoryTotalKib * 1024, (p.MemoryUsedKib?.Avg ?? 0) * 1024, (p.MemoryUsedKib?.Min ?? 0) * 1024, (p.MemoryUsedKib?.Max ?? 0) * 1024,
            p.MemoryAvailableKib * 1024, p.MemoryCachedKib * 1024, p.MemoryBuffersKib * 1024, p.MemoryFreeKib * 1024, p.SwapTotalKib * 1024, p.SwapUsedKib * 1024),
        p.Disks.Select(d => new DiskPointDto(d.Device, d.ReadBytesPerSecond, d.WriteBytesPerSecond, d.ReadsPerSecondCenti / 100.0,
            d.WritesPerSecondCenti / 100.0, d.BusyPermille / 10.0)).ToList(),
        p.Filesystems.Select(f => new FilesystemPointDto(f.MountPoint, f.TotalKib * 1024, f.UsedKib * 1024)).ToList(),
        p.NetworkInterfaces.Select(n => new NetworkPointDto(n.Name, n.RxBytesPerSecond, n.TxBytesPerSecond, n.RxPacketsPerSecondCenti / 100.0,
            n.TxPacketsPerSecondCenti / 100.0, n.RxErrorsPerSecondCenti / 100.0, n.TxErrorsPerSecondCenti / 100.0,
            n.RxDropsPerSecondCenti / 100.0, n.TxDropsPerSecondCenti / 100.0)).ToList());
}

public sealed record CpuStatDto(double AvgPercent, double MinPercent, double MaxPercent);

public sealed record MemoryPointDto(ulong TotalBytes, ulong UsedBytes, ulong UsedMinBytes, ulong UsedMaxBytes, ulong AvailableBytes,
    ulong CachedBytes, ulong BuffersBytes, ulong FreeBytes, ulong SwapTotalBytes, ulong SwapUsedBytes);

public sealed record DiskPointDto(string Device, ulong ReadBytesPerSecond, ulong WriteBytesPerSecond, double ReadsPerSecond, double WritesPerSecond, double BusyPercent);

public sealed record FilesystemPointDto(string MountPoint, ulong TotalBytes, ulong UsedBytes);

public sealed record NetworkPointDto(string Name, ulong RxBytesPerSecond, ulong TxBytesPerSecond, double RxPacketsPerSecond, double TxPacketsPerSecond,
    double RxErrorsPerSecond, double TxErrorsPerSecond, double RxDropsPerSecond, double TxDropsPerSecond);

public sealed record ProcessesDto(string MachineId, long TimestampUnixMs, List<ProcessPointDto> Processes)
{
    public static ProcessesDto From(string machineId, ProcessSnapshot snapshot) => new(machineId, snapshot.TimestampUnixMs,
        snapshot.Processes.Select(p => new ProcessPointDto(p.Pid, p.Name, p.User, p.CpuPermilleOfCore / 10.0, p.ResidentKib * 1024,
            p.MemoryPermille / 10.0, p.Threads, p.State, p.CommandLine)).ToList());
}

public sealed record ProcessPointDto(int Pid, string Name, string User, double CpuPercent, ulong ResidentBytes, double MemoryPercent,
    uint Threads, string State, string CommandLine);

/// <summary>History as CSV: one row per point, one column per series; device names become column names.</summary>
public static class HistoryCsv
{
    public static string Write(IReadOnlyList<HistoryPoint> points)
    {
        var cores = points.Count == 0 ? 0 : points.Max(p => p.CorePermille.Count);
        var disks = points.SelectMany(p => p.Disks.Select(d => d.Device)).Distinct().ToList();
        var filesystems = points.SelectMany(p => p.Filesystems.Select(f => f.MountPoint)).Distinct().ToList();
        var nics = points.SelectMany(p => p.NetworkInterfaces.Select(n => n.Name)).Distinct().ToList();

        var header = new List<string>
        {
            "timestamp", "timestamp_unix_ms", "samples", "cpu_avg_percent", "cpu_min_percent", "cpu_max_percent",
            "load_1m", "load_5m", "load_15m", "memory_total_bytes", "memory_used_bytes", "memory_used_max_bytes",
            "memory_available_bytes", "memory_cached_bytes", "memory_buffers_bytes", "memory_free_bytes", "swap_total_bytes", "swap_used_bytes",
        };
        header.AddRange(Enumerable.Range(0, cores).Select(i => $"core{i}_percent"));
        foreach (var d in disks)
        {
            header.AddRange([$"disk {d} read_bytes_per_second", $"disk {d} write_bytes_per_second", $"disk {d} busy_percent"]);
        }
        foreach (var f in filesystems)
        {
            header.AddRange([$"filesystem {f} used_bytes", $"filesystem {f} total_bytes"]);
        }
        foreach (var n in nics)
        {
            header.AddRange([$"network {n} rx_bytes_per_second", $"network {n} tx_bytes_per_second",
                $"network {n} rx_errors_per_second", $"network {n} tx_errors_per_second", $"network {n} rx_drops_per_second", $"network {n} tx_drops_per_second"]);
        }

        var csv = new StringBuilder();
        AppendRow(csv, header);
        var row = new List<string>(header.Count);
        foreach (var p in points)
        {
            row.Clear();
            var dto = HistoryPointDto.From(p);
            row.AddRange([
                DateTimeOffset.FromUnixTimeMilliseconds(p.TimestampUnixMs).ToString("O", CultureInfo.InvariantCulture),
                Num(p.TimestampUnixMs), Num(p.SampleCount), Num(dto.Cpu.AvgPercent), Num(dto.Cpu.MinPercent), Num(dto.Cpu.MaxPercent),
                Num(dto.Load1m), Num(dto.Load5m), Num(dto.Load15m), Num(dto.Memory.TotalBytes), Num(dto.Memory.UsedBytes), Num(dto.Memory.UsedMaxBytes),
                Num(dto.Memory.AvailableBytes), Num(dto.Memory.CachedBytes), Num(dto.Memory.BuffersBytes), Num(dto.Memory.FreeBytes),
                Num(dto.Memory.SwapTotalBytes), Num(dto.Memory.SwapUsedBytes),
            ]);
            row.AddRange(Enumerable.Range(0, cores).Select(i => i < dto.CorePercent.Count ? Num(dto.CorePercent[i]) : ""));
            foreach (var name in disks)
            {
                var d = dto.Disks.Find(x => x.Device == name);
                row.AddRange(d is null ? ["", "", ""] : [Num(d.ReadBytesPerSecond), Num(d.WriteBytesPerSecond), Num(d.BusyPercent)]);
            }
            foreach (var mount in filesystems)
            {
                var f = dto.Filesystems.Find(x => x.MountPoint == mount);
                row.AddRange(f is null ? ["", ""] : [Num(f.UsedBytes), Num(f.TotalBytes)]);
            }
            foreach (var name in nics)
            {
                var n = dto.NetworkInterfaces.Find(x => x.Name == name);
                row.AddRange(n is null ? ["", "", "", "", "", ""] : [Num(n.RxBytesPerSecond), Num(n.TxBytesPerSecond),
                    Num(n.RxErrorsPerSecond), Num(n.TxErrorsPerSecond), Num(n.RxDropsPerSecond), Num(n.TxDropsPerSecond)]);
            }
            AppendRow(csv, row);
        }
        return csv.ToString();
    }

    private static string Num(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Num(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void AppendRow(StringBuilder csv, IEnumerable<string> cells)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                csv.Append(',');
            }
            first = false;
            csv.Append(Escape(cell));
        }
        csv.Append("\r\n");
    }

    /// <summary>
    /// RFC 4180 quoting, and a leading apostrophe on text a spreadsheet would run as a formula: device and
    /// mount names come from agents and end up in column headers.
    /// </summary>
    internal static string Escape(string cell)
    {
        if (cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            cell = "'" + cell;
        }
        return cell.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
    }
}
