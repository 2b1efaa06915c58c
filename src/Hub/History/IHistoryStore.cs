using SysMon.Hub.History.Storage;

namespace SysMon.Hub.History;

/// <summary>
/// Where history lives. A point is stored under (machine, tier, start of its step): writing the same
/// point again replaces it, so replays and recomputed aggregates are stored once.
/// </summary>
public interface IHistoryStore
{
    Task WriteAsync(string machineId, HistoryTier tier, HistoryPoint point);

    /// <summary>Points with start in [<paramref name="fromUnixSeconds"/>, <paramref name="toUnixSeconds"/>), oldest first.</summary>
    Task<IReadOnlyList<HistoryPoint>> ReadAsync(string machineId, HistoryTier tier, long fromUnixSeconds, long toUnixSeconds);

    Task WriteProcessesAsync(string machineId, ProcessSnapshot snapshot);

    /// <summary>
    /// Compacts a bucket that has closed (no more regular writes expected) into one compressed value:
    /// the same points in a fraction of the memory. Late writes after sealing still work and are merged
    /// in at the next seal. Idempotent.
    /// </summary>
    Task SealAsync(string machineId, HistoryTier tier, long bucketStartUnixSeconds);

    /// <summary>The last snapshot at or before <paramref name="atUnixSeconds"/>, looking back at most <paramref name="lookbackSeconds"/>.</summary>
    Task<ProcessSnapshot?> ReadProcessesAsync(string machineId, long atUnixSeconds, long lookbackSeconds);
}
