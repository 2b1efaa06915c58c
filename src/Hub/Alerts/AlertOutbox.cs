using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Alerts;

/// <summary>
/// The events still to be notified, read by the one notifier of the fleet. An event stays until it is
/// acknowledged, so a notifier that dies mid-delivery leaves it to the next one (delivery is at least
/// once; a receiver can drop repeats by the event id).
/// </summary>
public interface IAlertOutbox
{
    /// <summary>Unacknowledged events, oldest first: first those read before and not acknowledged, then new ones.</summary>
    Task<IReadOnlyList<(string Id, AlertEvent Event)>> ReadAsync(int count);

    Task AckAsync(IEnumerable<string> ids);
}

/// <summary>A lone hub's outbox: the in-memory store's events, by sequence.</summary>
public sealed class InMemoryAlertOutbox : IAlertOutbox
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, AlertEvent> _pending = [];
    private long _next;

    public void Add(AlertEvent alertEvent)
    {
        lock (_lock)
        {
            _pending[++_next] = alertEvent;
        }
    }

    public Task<IReadOnlyList<(string Id, AlertEvent Event)>> ReadAsync(int count)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<(string, AlertEvent)>>(
                [.. _pending.Take(count).Select(p => (p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Value))]);
        }
    }

    public Task AckAsync(IEnumerable<string> ids)
    {
        lock (_lock)
        {
            foreach (var id in ids)
            {
                _pending.Remove(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// The Redis outbox: a consumer group on the event stream. All notifiers read as one consumer, so the
/// hub that becomes the notifier after another died first gets back what that one read and did not
/// acknowledge.
/// </summary>
public sealed class RedisAlertOutbox(IConnectionMultiplexer redis) : IAlertOutbox
{
    private const string Group = "notifier";
    private const string Consumer = "notifier";
    private bool _groupReady;

    private IDatabase Db => redis.DatabaseOrFail();

    public async Task<IReadOnlyList<(string Id, AlertEvent Event)>> ReadAsync(int count)
    {
        var db = Db;
        if (!_groupReady)
        {
            try
            {
                // "0": events recorded before the first notifier ever ran are notified too.
                await db.StreamCreateConsumerGroupAsync(RedisKeys.AlertEvents, Group, "0", createStream: true);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
            {
            }
            _groupReady = true;
        }
        var pending = await db.StreamReadGroupAsync(RedisKeys.AlertEvents, Group, Consumer, "0", count);
        var entries = pending.Length > 0 ? pending : await db.StreamReadGroupAsync(RedisKeys.AlertEvents, Group, Consumer, ">", count);
        return [.. entries.Where(e => !e["e"].IsNull)
            .Select(e => (e.Id.ToString(), JsonSerializer.Deserialize<AlertEvent>(e["e"].ToString(), AlertJson.Options)!))];
    }

    public async Task AckAsync(IEnumerable<string> ids)
    {
        var values = ids.Select(id => (RedisValue)id).ToArray();
        if (values.Length > 0)
        {
            await Db.StreamAcknowledgeAsync(RedisKeys.AlertEvents, Group, values);
        }
    }
}
