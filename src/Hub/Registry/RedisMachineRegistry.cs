using Google.Protobuf;
using StackExchange.Redis;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Registry;

/// <summary>The registry shared by all hubs, one hash per machine (see <see cref="RedisKeys"/>).</summary>
public sealed class RedisMachineRegistry(IConnectionMultiplexer redis) : IMachineRegistry
{
    // Clears "connected" only if the stream closing is still the one that owns the machine: an agent
    // that moved to another hub must not be marked disconnected by its old hub's late cleanup.
    private const string DisconnectScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
          redis.call('HSET', KEYS[1], ARGV[3], '0')
          return 1
        end
        return 0
        """;

    // Keeps the newest sample by its own timestamp: a replayed (older) sample marks the machine seen
    // but must not replace what viewers see as its current state.
    private const string SampleScript = """
        local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
        if tonumber(ARGV[2]) > current then
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
        end
        redis.call('HSET', KEYS[1], ARGV[5], ARGV[6])
        return 0
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task ConnectedAsync(Hello hello, string connectionId, string hubInstance, DateTimeOffset now)
    {
        var key = RedisKeys.Machine(hello.MachineId);
        var tx = Db.CreateTransaction();
        _ = tx.SetAddAsync(RedisKeys.Machines, hello.MachineId);
        _ = tx.HashSetAsync(key,
        [
            new HashEntry(MachineFields.Hello, hello.ToByteArray()),
            new HashEntry(MachineFields.Connected, "1"),
            new HashEntry(MachineFields.ConnectionId, connectionId),
            new HashEntry(MachineFields.HubInstance, hubInstance),
            new HashEntry(MachineFields.LastSeenUnixMs, now.ToUnixTimeMilliseconds()),
        ]);
        await tx.ExecuteAsync().ConfigureAwait(false);
    }

    public Task SampleAsync(string machineId, Sample sample, DateTimeOffset now) =>
        Db.ScriptEvaluateAsync(SampleScript, [RedisKeys.Machine(machineId)],
        [
            MachineFields.LastSampleUnixMs, sample.TimestampUnixMs,
            MachineFields.LastSample, sample.ToByteArray(),
            MachineFields.LastSeenUnixMs, now.ToUnixTimeMilliseconds(),
        ]);

    public Task DisconnectedAsync(string machineId, string connectionId) =>
        Db.ScriptEvaluateAsync(DisconnectScript,
            [RedisKeys.Machine(machineId)],
            [MachineFields.ConnectionId, connectionId, MachineFields.Connected]);

    public async Task<IReadOnlyList<MachineRecord>> ListAsync(bool withLastSample = false)
    {
        var db = Db;
        var ids = await db.SetMembersAsync(RedisKeys.Machines).ConfigureAwait(false);
        var batch = db.CreateBatch();
        var fields = Fields(withLastSample);
        var reads = ids.Select(id => batch.HashGetAsync(RedisKeys.Machine(id.ToString()), fields)).ToArray();
        batch.Execute();
        var records = new List<MachineRecord>(ids.Length);
        foreach (var read in reads)
        {
            if (ToRecord(await read.ConfigureAwait(false)) is { } record)
            {
                records.Add(record);
            }
        }
        return records;
    }

    public async Task<MachineRecord?> GetAsync(string machineId, bool withLastSample = false) =>
        ToRecord(await Db.HashGetAsync(RedisKeys.Machine(machineId), Fields(withLastSample)).ConfigureAwait(false));

    private static RedisValue[] Fields(bool withLastSample) => withLastSample
        ? [MachineFields.Hello, MachineFields.LastSeenUnixMs, MachineFields.Connected, MachineFields.LastSample]
        : [MachineFields.Hello, MachineFields.LastSeenUnixMs, MachineFields.Connected];

    private static MachineRecord? ToRecord(RedisValue[] values)
    {
        if (values[0].IsNull)
        {
            return null; // listed but its hash is gone (deleted by an operator): skip, don't fail the list
        }
        var hello = Hello.Parser.ParseFrom((byte[])values[0]!);
        DateTimeOffset? lastSeen = values[1].IsNull ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)values[1]);
        var lastSample = values.Length > 3 && !values[3].IsNull ? Sample.Parser.ParseFrom((byte[])values[3]!) : null;
        return new MachineRecord(hello, lastSeen, values[2] == "1", lastSample);
    }

    public async Task<Sample?> LastSampleAsync(string machineId)
    {
        var bytes = await Db.HashGetAsync(RedisKeys.Machine(machineId), MachineFields.LastSample).ConfigureAwait(false);
        return bytes.IsNull ? null : Sample.Parser.ParseFrom((byte[])bytes!);
    }
}
