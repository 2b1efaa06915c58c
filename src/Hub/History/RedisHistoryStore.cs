using System.Globalization;
using Google.Protobuf;
using StackExchange.Redis;
using SysMon.Hub.History.Storage;
using SysMon.Hub.Registry;

namespace SysMon.Hub.History;

/// <summary>History in Redis, shared by all hubs: one hash per (machine, tier, bucket); see <see cref="RedisKeys.History"/>.</summary>
public sealed class RedisHistoryStore(IConnectionMultiplexer redis, HistoryOptions options, TimeProvider time) : IHistoryStore
{
    // A replayed point older than its tier's retention still lives long enough to be aggregated into the next tier.
    private static readonly TimeSpan MinimumTimeToLive = TimeSpan.FromMinutes(2);

    private HistoryTier ProcessTier => new("processes", options.ProcessSnapshotSeconds, options.CoarseRetentionSeconds);

    public Task WriteAsync(string machineId, HistoryTier tier, HistoryPoint point) =>
        WriteAsync(machineId, tier, point.TimestampUnixMs, point.ToByteArray());

    public Task WriteProcessesAsync(string machineId, ProcessSnapshot snapshot) =>
        WriteAsync(machineId, ProcessTier, snapshot.TimestampUnixMs, snapshot.ToByteArray());

    private Task WriteAsync(string machineId, HistoryTier tier, long timestampUnixMs, byte[] value)
    {
        var start = tier.PointStart(Math.DivRem(timestampUnixMs, 1000).Quotient);
        var bucket = tier.BucketStart(start);
        var key = RedisKeys.History(machineId, tier.Name, bucket);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(bucket + tier.BucketSeconds + tier.RetentionSeconds);
        var ttl = expiresAt - time.GetUtcNow();
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var write = batch.HashSetAsync(key, start, value);
        var expire = batch.KeyExpireAsync(key, ttl > MinimumTimeToLive ? ttl : MinimumTimeToLive);
        batch.Execute();
        return Task.WhenAll(write, expire);
    }

    public async Task<IReadOnlyList<HistoryPoint>> ReadAsync(string machineId, HistoryTier tier, long fromUnixSeconds, long toUnixSeconds)
    {
        var values = await ReadFieldsAsync(machineId, tier, fromUnixSeconds, toUnixSeconds).ConfigureAwait(false);
        var points = new List<HistoryPoint>(values.Count);
        foreach (var value in values)
        {
            points.Add(HistoryPoint.Parser.ParseFrom((byte[])value!));
        }
        return points;
    }

    public async Task<ProcessSnapshot?> ReadProcessesAsync(string machineId, long atUnixSeconds, long lookbackSeconds)
    {
        var tier = ProcessTier;
        var values = await ReadFieldsAsync(machineId, tier, atUnixSeconds - lookbackSeconds, atUnixSeconds + 1).ConfigureAwait(false);
        ProcessSnapshot? best = null;
        foreach (var value in values)
        {
            var snapshot = ProcessSnapshot.Parser.ParseFrom((byte[])value!);
            if (snapshot.TimestampUnixMs <= atUnixSeconds * 1000 + 999 && (best is null || snapshot.TimestampUnixMs > best.TimestampUnixMs))
            {
                best = snapshot;
            }
        }
        return best;
    }

    /// <summary>Non-null values of every step start in [from, to), oldest first: one HMGET per bucket, all pipelined.</summary>
    private async Task<List<RedisValue>> ReadFieldsAsync(string machineId, HistoryTier tier, long fromUnixSeconds, long toUnixSeconds)
    {
        var db = redis.GetDatabase();
        var reads = new List<Task<RedisValue[]>>();
        var first = tier.PointStart(fromUnixSeconds);
        if (first < fromUnixSeconds)
        {
            first += tier.StepSeconds;
        }
        var batch = db.CreateBatch();
        for (var bucket = tier.BucketStart(first); bucket < toUnixSeconds; bucket += tier.BucketSeconds)
        {
            var fields = new List<RedisValue>();
            for (var start = Math.Max(first, bucket); start < Math.Min(toUnixSeconds, bucket + tier.BucketSeconds); start += tier.StepSeconds)
            {
                fields.Add(start);
            }
            if (fields.Count > 0)
            {
                reads.Add(batch.HashGetAsync(RedisKeys.History(machineId, tier.Name, bucket), [.. fields]));
            }
        }
        batch.Execute();
        var result = new List<RedisValue>();
        foreach (var read in reads)
        {
            foreach (var value in await read.ConfigureAwait(false))
            {
                if (!value.IsNull)
                {
                    result.Add(value);
                }
            }
        }
        return result;
    }
}
