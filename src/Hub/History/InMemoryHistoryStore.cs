using SysMon.Hub.History.Storage;

namespace SysMon.Hub.History;

/// <summary>History of a lone hub without Redis, with the same retention rules, trimmed as it is written.</summary>
public sealed class InMemoryHistoryStore(HistoryOptions options, TimeProvider time) : IHistoryStore
{
    private readonly Dictionary<(string Machine, string Tier), SortedList<long, object>> _series = [];

    private HistoryTier ProcessTier => options.Processes;

    /// <inheritdoc />
    /// <remarks>Objects in memory gain nothing from compression.</remarks>
    public Task SealAsync(string machineId, HistoryTier tier, long bucketStartUnixSeconds) => Task.CompletedTask;

    public Task WriteAsync(string machineId, HistoryTier tier, HistoryPoint point)
    {
        Write(machineId, tier, point.TimestampUnixMs, point);
        return Task.CompletedTask;
    }

    public Task WriteProcessesAsync(string machineId, ProcessSnapshot snapshot)
    {
        Write(machineId, ProcessTier, snapshot.TimestampUnixMs, snapshot);
        return Task.CompletedTask;
    }

    private void Write(string machineId, HistoryTier tier, long timestampUnixMs, object value)
    {
        var start = tier.PointStart(Math.DivRem(timestampUnixMs, 1000).Quotient);
        var oldest = time.GetUtcNow().ToUnixTimeSeconds() - tier.RetentionSeconds;
        lock (_series)
        {
            if (!_series.TryGetValue((machineId, tier.Name), out var series))
            {
                _series[(machineId, tier.Name)] = series = [];
            }
            series[start] = value;
            while (series.Count > 0 && series.Keys[0] < oldest)
            {
                series.RemoveAt(0);
            }
        }
    }

    private List<T> Read<T>(string machineId, HistoryTier tier, long from, long to)
    {
        lock (_series)
        {
            if (!_series.TryGetValue((machineId, tier.Name), out var series))
            {
                return [];
            }
            var result = new List<T>();
            foreach (var (start, value) in series)
            {
                if (start >= from && start < to)
                {
                    result.Add((T)value);
                }
            }
            return result;
        }
    }

    public Task<IReadOnlyList<HistoryPoint>> ReadAsync(string machineId, HistoryTier tier, long fromUnixSeconds, long toUnixSeconds) =>
        Task.FromResult<IReadOnlyList<HistoryPoint>>(Read<HistoryPoint>(machineId, tier, fromUnixSeconds, toUnixSeconds));

    public Task<ProcessSnapshot?> ReadProcessesAsync(string machineId, long atUnixSeconds, long lookbackSeconds) =>
        Task.FromResult(Read<ProcessSnapshot>(machineId, ProcessTier, atUnixSeconds - lookbackSeconds, atUnixSeconds + 1)
            .Where(s => s.TimestampUnixMs <= atUnixSeconds * 1000 + 999)
            .MaxBy(s => s.TimestampUnixMs));
}
