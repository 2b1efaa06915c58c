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

    private HistoryTier ProcessTier => options.Processes;

    /// <summary>The field holding a sealed bucket's compressed points; regular fields are numbers, so it cannot clash.</summary>
    private static readonly RedisValue SealedField = "z";

    public async Task SealAsync(string machineId, HistoryTier tier, long bucketStartUnixSeconds)
    {
        var key = RedisKeys.History(machineId, tier.Name, bucketStartUnixSeconds);
        var db = redis.GetDatabase();
        var all = await db.HashGetAllAsync(key).ConfigureAwait(false);
        var plain = all.Where(e => e.Name != SealedField).ToArray();
        if (plain.Length == 0)
        {
            return; // empty, or sealed with nothing written since
        }
        var points = new SortedDictionary<long, byte[]>();
        foreach (var entry in plain)
        {
            points[(long)entry.Name] = entry.Value!;
        }
        if (all.FirstOrDefault(e => e.Name == SealedField) is { Value.IsNull: false } sealedEntry)
        {
            foreach (var (start, value) in SealedBucket.Read(sealedEntry.Value!))
            {
                points.TryAdd(start, value); // a point written after the last seal is newer: it wins
            }
        }
        var tx = db.CreateTransaction();
        // Only if nobody wrote to the bucket meanwhile; otherwise the next seal picks it up.
        tx.AddCondition(Condition.HashLengthEqual(key, all.Length));
        _ = tx.HashSetAsync(key, SealedField, SealedBucket.Write(points));
        _ = tx.HashDeleteAsync(key, plain.Select(e => e.Name).ToArray());
        await tx.ExecuteAsync().ConfigureAwait(false);
    }

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
            points.Add(HistoryPoint.Parser.ParseFrom(value));
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
            var snapshot = ProcessSnapshot.Parser.ParseFrom(value);
            if (snapshot.TimestampUnixMs <= atUnixSeconds * 1000 + 999 && (best is null || snapshot.TimestampUnixMs > best.TimestampUnixMs))
            {
                best = snapshot;
            }
        }
        return best;
    }

    /// <summary>Values of every step start in [from, to) that has a point, oldest first: one HMGET per bucket, all pipelined.</summary>
    private async Task<List<byte[]>> ReadFieldsAsync(string machineId, HistoryTier tier, long fromUnixSeconds, long toUnixSeconds)
    {
        var db = redis.GetDatabase();
        var reads = new List<(RedisValue[] Fields, Task<RedisValue[]> Values)>();
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
                fields.Add(SealedField);
                RedisValue[] asked = [.. fields];
                reads.Add((asked, batch.HashGetAsync(RedisKeys.History(machineId, tier.Name, bucket), asked)));
            }
        }
        batch.Execute();
        var result = new List<byte[]>();
        foreach (var (fields, read) in reads)
        {
            var values = await read.ConfigureAwait(false);
            var sealedPoints = values[^1].IsNull ? null : SealedBucket.Read(values[^1]!);
            for (var i = 0; i < values.Length - 1; i++)
            {
                if (!values[i].IsNull)
                {
                    result.Add(values[i]!);
                }
                else if (sealedPoints is not null && sealedPoints.TryGetValue((long)fields[i], out var sealedValue))
                {
                    result.Add(sealedValue);
                }
            }
        }
        return result;
    }
}
