using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Alerts;

/// <summary>
/// The events still to be notified, read by the one notifier of the fleet, with a cursor per channel so
/// a channel that is down holds back only its own messages. An event stays until that channel
/// acknowledges it, so a notifier that dies mid-delivery leaves it to the next one (delivery is at least
/// once; a receiver can drop repeats by the event id).
/// </summary>
public interface IAlertOutbox
{
    /// <summary>
    /// Events not yet acknowledged for <paramref name="channelId"/>, oldest first: first those read before
    /// and not acknowledged, then new ones.
    /// </summary>
    Task<IReadOnlyList<(string Id, AlertEvent Event)>> ReadAsync(string channelId, int count);

    Task AckAsync(string channelId, IEnumerable<string> ids);
}

/// <summary>A lone hub's outbox: the in-memory store's events by sequence, and how far each channel got.</summary>
public sealed class InMemoryAlertOutbox : IAlertOutbox
{
    /// <summary>As many events as Redis keeps: with no channel reading, the oldest go.</summary>
    private const int MaxEvents = 100_000;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, AlertEvent> _events = [];
    private readonly Dictionary<string, long> _acknowledged = new(StringComparer.Ordinal);
    private long _next;

    public void Add(AlertEvent alertEvent)
    {
        lock (_lock)
        {
            _events[++_next] = alertEvent;
            if (_events.Count > MaxEvents)
            {
                _events.Remove(_events.Keys.First());
            }
        }
    }

    public Task<IReadOnlyList<(string Id, AlertEvent Event)>> ReadAsync(string channelId, int count)
    {
        lock (_lock)
        {
            var after = _acknowledged.GetValueOrDefault(channelId);
            return Task.FromResult<IReadOnlyList<(string, AlertEvent)>>(
                [.. _events.Where(e => e.Key > after).Take(count).Select(p => (p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Value))]);
        }
    }

    public Task AckAsync(string channelId, IEnumerable<string> ids)
    {
        lock (_lock)
        {
            foreach (var id in ids)
            {
                var sequence = long.Parse(id, System.Globalization.CultureInfo.InvariantCulture);
                if (sequence > _acknowledged.GetValueOrDefault(channelId))
                {
                    _acknowledged[channelId] = sequence;
                }
            }
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// The Redis outbox: a consumer group per channel on the event stream. All notifiers read as one
/// consumer, so the hub that becomes the notifier after another died first gets back what that one read
/// and did not acknowledge.
/// </summary>
public sealed class RedisAlertOutbox(IConnectionMultiplexer redis, Microsoft.Extensions.Options.IOptions<AlertOptions> options, TimeProvider time)
    : IAlertOutbox
{
    private const string Consumer = "notifier";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _groupReady = new(StringComparer.Ordinal);

    private IDatabase Db => redis.DatabaseOrFail();

    public static string GroupOf(string channelId) => "notify:" + channelId;

    public async Task<IReadOnlyList<(string Id, AlertEvent Event)>> ReadAsync(string channelId, int count)
    {
        var db = Db;
        var group = GroupOf(channelId);
        if (!_groupReady.ContainsKey(channelId))
        {
            try
            {
                // A channel's queue starts as far back as a delivery is tried: events recorded before the
                // first notifier ran are sent, and a channel added later does not get the whole history.
                var since = time.GetUtcNow() - TimeSpan.FromMinutes(options.Value.DeliveryTimeoutMinutes);
                await db.StreamCreateConsumerGroupAsync(RedisKeys.AlertEvents, group,
                    since.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "-0", createStream: true);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
            {
            }
            _groupReady[channelId] = true;
        }
        var pending = await db.StreamReadGroupAsync(RedisKeys.AlertEvents, group, Consumer, "0", count);
        var entries = pending.Length > 0 ? pending : await db.StreamReadGroupAsync(RedisKeys.AlertEvents, group, Consumer, ">", count);
        // A pending entry trimmed from the stream meanwhile comes back empty: acknowledged, or it would be read again for ever.
        var trimmed = entries.Where(e => e["e"].IsNull).Select(e => e.Id).ToArray();
        if (trimmed.Length > 0)
        {
            await db.StreamAcknowledgeAsync(RedisKeys.AlertEvents, group, trimmed);
        }
        return [.. entries.Where(e => !e["e"].IsNull)
            .Select(e => (e.Id.ToString(), JsonSerializer.Deserialize<AlertEvent>(e["e"].ToString(), AlertJson.Options)!))];
    }

    public async Task AckAsync(string channelId, IEnumerable<string> ids)
    {
        var values = ids.Select(id => (RedisValue)id).ToArray();
        if (values.Length > 0)
        {
            await Db.StreamAcknowledgeAsync(RedisKeys.AlertEvents, GroupOf(channelId), values);
        }
    }
}
