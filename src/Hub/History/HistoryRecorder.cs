using SysMon.Protocol.V1;

namespace SysMon.Hub.History;

/// <summary>
/// Writes one agent stream's samples into history. The raw tier is the source of truth; a medium
/// point is recomputed from the raw points of its step and a coarse point from the medium points of
/// its step, whenever a sample lands in a step that has already closed. So a replayed or late sample,
/// or an agent that moved to this hub mid-step, yields the same history as an uninterrupted stream.
/// Not thread-safe: one per stream, used by that stream's single writer.
/// </summary>
public sealed class HistoryRecorder(IHistoryStore store, HistoryOptions options, string machineId)
{
    private readonly HistoryTier _raw = options.Raw;
    private readonly HistoryTier _medium = options.Medium;
    private readonly HistoryTier _coarse = options.Coarse;
    private readonly SortedSet<long> _dirtyMedium = [];
    private readonly SortedSet<long> _dirtyCoarse = [];
    private readonly HistoryTier _processes = options.Processes;
    private long _lastSnapshotStep = long.MinValue;
    private long _newestSeconds = long.MinValue;
    private readonly Dictionary<string, long> _openBucket = [];

    /// <summary>Stores the sample and brings every closed step it touched up to date. Safe to retry after a failure.</summary>
    public async Task RecordAsync(Sample sample)
    {
        var seconds = Math.DivRem(sample.TimestampUnixMs, 1000).Quotient;
        var mediumStart = _medium.PointStart(seconds);
        if (_dirtyMedium.Count == 0 && _newestSeconds == long.MinValue)
        {
            // The previous hub of this agent may have died before closing the step just before this one.
            _dirtyMedium.Add(mediumStart - _medium.StepSeconds);
        }
        _dirtyMedium.Add(mediumStart);
        _newestSeconds = Math.Max(_newestSeconds, seconds);

        var snapshotStep = seconds - (seconds % options.ProcessSnapshotSeconds);
        var takeSnapshot = snapshotStep != _lastSnapshotStep && sample.Processes.Count > 0;
        await Task.WhenAll(
            store.WriteAsync(machineId, _raw, HistoryPoints.FromSample(sample)),
            takeSnapshot ? store.WriteProcessesAsync(machineId, HistoryPoints.SnapshotOf(sample)) : Task.CompletedTask).ConfigureAwait(false);
        if (takeSnapshot)
        {
            _lastSnapshotStep = snapshotStep;
            await SealClosedBucketAsync(_processes, snapshotStep).ConfigureAwait(false);
        }
        await FlushAsync(all: false).ConfigureAwait(false);
    }

    /// <summary>Recomputes dirty steps that have closed (or all of them, when the stream ends).</summary>
    public async Task FlushAsync(bool all)
    {
        while (_dirtyMedium.Count > 0)
        {
            var start = _dirtyMedium.Min;
            if (!all && start + _medium.StepSeconds > _newestSeconds)
            {
                break;
            }
            var raw = await store.ReadAsync(machineId, _raw, start, start + _medium.StepSeconds).ConfigureAwait(false);
            if (HistoryPoints.Aggregate(raw, start * 1000) is { } point)
            {
                await store.WriteAsync(machineId, _medium, point).ConfigureAwait(false);
                await SealClosedBucketAsync(_medium, start).ConfigureAwait(false);
                _dirtyCoarse.Add(_coarse.PointStart(start));
            }
            _dirtyMedium.Remove(start);
        }
        while (_dirtyCoarse.Count > 0)
        {
            var start = _dirtyCoarse.Min;
            if (!all && start + _coarse.StepSeconds > _newestSeconds)
            {
                break;
            }
            var medium = await store.ReadAsync(machineId, _medium, start, start + _coarse.StepSeconds).ConfigureAwait(false);
            if (HistoryPoints.Aggregate(medium, start * 1000) is { } point)
            {
                await store.WriteAsync(machineId, _coarse, point).ConfigureAwait(false);
                await SealClosedBucketAsync(_coarse, start).ConfigureAwait(false);
            }
            _dirtyCoarse.Remove(start);
        }
    }

    /// <summary>
    /// When a write opens a new bucket of a tier, the previous bucket is done: compress it. The first
    /// write of a stream seals the bucket before, too, in case the agent's previous hub died before it could.
    /// </summary>
    private async Task SealClosedBucketAsync(HistoryTier tier, long pointStartSeconds)
    {
        var bucket = tier.BucketStart(pointStartSeconds);
        if (_openBucket.TryGetValue(tier.Name, out var open) && open >= bucket)
        {
            return;
        }
        _openBucket[tier.Name] = bucket;
        await store.SealAsync(machineId, tier, bucket - tier.BucketSeconds).ConfigureAwait(false);
    }
}
