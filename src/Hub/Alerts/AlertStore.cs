using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Alerts;

/// <summary>A firing or a resolution, as it is recorded once and later notified: with what a reader needs to know.</summary>
public sealed record AlertEvent(
    string RuleId, string RuleName, Severity Severity, string MachineId, string Instance, TransitionKind Kind, DateTimeOffset At, double Value,
    string[] MachineTags);

/// <summary>
/// Alert state shared by every hub: per machine, the state of each (rule, instance) that is not fine; the
/// alerts firing now; and the log of events. A change is committed only if the state is still what the
/// committing hub last read (compare-and-set), together with its event, so that two hubs that both
/// evaluate a machine during a hand-over cannot both record one transition.
/// </summary>
public interface IAlertStore
{
    /// <summary>The stored states of <paramref name="machineId"/>: field (rule id + "\n" + instance) → JSON.</summary>
    Task<Dictionary<string, string>> LoadAsync(string machineId);

    /// <summary>
    /// Replaces the state at <paramref name="field"/> with <paramref name="newJson"/> (null: delete) if it is
    /// still <paramref name="expectedJson"/> ("" for none), and records <paramref name="alertEvent"/>; false
    /// when another hub changed it first.
    /// </summary>
    Task<bool> CommitAsync(string machineId, string field, string expectedJson, string? newJson, AlertEvent? alertEvent);

    Task<IReadOnlyList<AlertEvent>> FiringAsync();

    /// <summary>Marks a firing alert as being dealt with (no more reminders); false when it is not firing.</summary>
    Task<bool> AcknowledgeAsync(string firingField, Acknowledgement acknowledgement);

    /// <summary>The acknowledgements of firing alerts, by firing field (machine\nrule\ninstance).</summary>
    Task<IReadOnlyDictionary<string, Acknowledgement>> AcknowledgementsAsync();

    /// <summary>
    /// True (and remembers <paramref name="now"/>) when a reminder about a firing alert is due: its firing,
    /// or its last reminder, is at least <paramref name="every"/> old. Called by the fleet's one notifier.
    /// </summary>
    Task<bool> ClaimReminderAsync(string firingField, DateTimeOffset firedAt, DateTimeOffset now, TimeSpan every);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<AlertEvent>> EventsAsync(int count);
}

/// <summary>Who took a firing alert in hand, and when. It ends with the alert.</summary>
public sealed record Acknowledgement(string By, DateTimeOffset At);

internal static class AlertJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string FiringField(AlertEvent e) => FiringField(e.MachineId, e.RuleId, e.Instance);

    public static string FiringField(string machineId, string ruleId, string instance) => machineId + "\n" + ruleId + "\n" + instance;
}

/// <summary>The store of a lone hub without Redis; its events also go to the outbox, as the Redis stream's do.</summary>
public sealed class InMemoryAlertStore(InMemoryAlertOutbox outbox) : IAlertStore
{
    public const int EventCapacity = 10_000;

    private readonly Dictionary<string, Dictionary<string, string>> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AlertEvent> _firing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Acknowledgement> _acks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _reminders = new(StringComparer.Ordinal);
    private readonly LinkedList<AlertEvent> _events = new();
    private readonly Lock _lock = new();

    public Task<Dictionary<string, string>> LoadAsync(string machineId)
    {
        lock (_lock)
        {
            return Task.FromResult(_states.TryGetValue(machineId, out var states) ? new Dictionary<string, string>(states) : []);
        }
    }

    public Task<bool> CommitAsync(string machineId, string field, string expectedJson, string? newJson, AlertEvent? alertEvent)
    {
        lock (_lock)
        {
            var states = _states.TryGetValue(machineId, out var existing) ? existing : _states[machineId] = new(StringComparer.Ordinal);
            if ((states.GetValueOrDefault(field) ?? "") != expectedJson)
            {
                return Task.FromResult(false);
            }
            if (newJson is null)
            {
                states.Remove(field);
            }
            else
            {
                states[field] = newJson;
            }
            if (alertEvent is not null)
            {
                if (alertEvent.Kind == TransitionKind.Fired)
                {
                    _firing[AlertJson.FiringField(alertEvent)] = alertEvent;
                }
                else
                {
                    _firing.Remove(AlertJson.FiringField(alertEvent));
                    _acks.Remove(AlertJson.FiringField(alertEvent));
                    _reminders.Remove(AlertJson.FiringField(alertEvent));
                }
                _events.AddFirst(alertEvent);
                outbox.Add(alertEvent);
                if (_events.Count > EventCapacity)
                {
                    _events.RemoveLast();
                }
            }
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<AlertEvent>> FiringAsync()
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<AlertEvent>>([.. _firing.Values]);
        }
    }

    public Task<IReadOnlyList<AlertEvent>> EventsAsync(int count)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<AlertEvent>>([.. _events.Take(count)]);
        }
    }

    public Task<bool> AcknowledgeAsync(string firingField, Acknowledgement acknowledgement)
    {
        lock (_lock)
        {
            if (!_firing.ContainsKey(firingField))
            {
                return Task.FromResult(false);
            }
            _acks[firingField] = acknowledgement;
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyDictionary<string, Acknowledgement>> AcknowledgementsAsync()
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyDictionary<string, Acknowledgement>>(new Dictionary<string, Acknowledgement>(_acks));
        }
    }

    public Task<bool> ClaimReminderAsync(string firingField, DateTimeOffset firedAt, DateTimeOffset now, TimeSpan every)
    {
        lock (_lock)
        {
            var last = _reminders.TryGetValue(firingField, out var reminded) ? reminded : firedAt;
            if (now - last < every)
            {
                return Task.FromResult(false);
            }
            _reminders[firingField] = now;
            return Task.FromResult(true);
        }
    }
}

/// <summary>
/// The shared store: a hash of states per machine, a hash of the firing alerts, and a capped stream of
/// events (which notifications will read). One Lua script makes each commit atomic.
/// </summary>
public sealed class RedisAlertStore(IConnectionMultiplexer redis) : IAlertStore
{
    private const int EventCapacity = 100_000;

    private static readonly LuaScript Commit = LuaScript.Prepare("""
        local current = redis.call('HGET', @states, @field) or ''
        if current ~= @expected then return 0 end
        if @next == '' then redis.call('HDEL', @states, @field) else redis.call('HSET', @states, @field, @next) end
        if @kind == 'Fired' then redis.call('HSET', @firing, @firingField, @event)
        elseif @kind == 'Resolved' then
          redis.call('HDEL', @firing, @firingField)
          redis.call('HDEL', @acks, @firingField)
          redis.call('HDEL', @reminders, @firingField)
        end
        if @event ~= '' then redis.call('XADD', @events, 'MAXLEN', '~', @cap, '*', 'e', @event) end
        return 1
        """);

    private IDatabase Db => redis.DatabaseOrFail();

    public async Task<Dictionary<string, string>> LoadAsync(string machineId)
    {
        var entries = await Db.HashGetAllAsync(RedisKeys.AlertStates(machineId));
        return entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
    }

    public async Task<bool> CommitAsync(string machineId, string field, string expectedJson, string? newJson, AlertEvent? alertEvent)
    {
        var result = await Db.ScriptEvaluateAsync(Commit, new
        {
            states = RedisKeys.AlertStates(machineId),
            firing = RedisKeys.AlertsFiring,
            acks = RedisKeys.AlertAcknowledgements,
            reminders = RedisKeys.AlertReminders,
            events = RedisKeys.AlertEvents,
            field,
            expected = expectedJson,
            next = newJson ?? "",
            kind = alertEvent?.Kind.ToString() ?? "",
            firingField = alertEvent is null ? "" : AlertJson.FiringField(alertEvent),
            @event = alertEvent is null ? "" : JsonSerializer.Serialize(alertEvent, AlertJson.Options),
            cap = EventCapacity,
        });
        return (int)result == 1;
    }

    public async Task<IReadOnlyList<AlertEvent>> FiringAsync() =>
        [.. (await Db.HashValuesAsync(RedisKeys.AlertsFiring)).Select(v => JsonSerializer.Deserialize<AlertEvent>(v.ToString(), AlertJson.Options)!)];

    public async Task<IReadOnlyList<AlertEvent>> EventsAsync(int count)
    {
        var entries = await Db.StreamRangeAsync(RedisKeys.AlertEvents, "-", "+", count, Order.Descending);
        return [.. entries.Select(e => JsonSerializer.Deserialize<AlertEvent>(e["e"].ToString(), AlertJson.Options)!)];
    }

    private static readonly LuaScript Acknowledge = LuaScript.Prepare("""
        if redis.call('HEXISTS', @firing, @field) == 0 then return 0 end
        redis.call('HSET', @acks, @field, @ack)
        return 1
        """);

    public async Task<bool> AcknowledgeAsync(string firingField, Acknowledgement acknowledgement) =>
        (int)await Db.ScriptEvaluateAsync(Acknowledge, new
        {
            firing = RedisKeys.AlertsFiring, acks = RedisKeys.AlertAcknowledgements, field = firingField,
            ack = JsonSerializer.Serialize(acknowledgement, AlertJson.Options),
        }) == 1;

    public async Task<IReadOnlyDictionary<string, Acknowledgement>> AcknowledgementsAsync() =>
        (await Db.HashGetAllAsync(RedisKeys.AlertAcknowledgements))
            .ToDictionary(e => e.Name.ToString(), e => JsonSerializer.Deserialize<Acknowledgement>(e.Value.ToString(), AlertJson.Options)!, StringComparer.Ordinal);

    public async Task<bool> ClaimReminderAsync(string firingField, DateTimeOffset firedAt, DateTimeOffset now, TimeSpan every)
    {
        var db = Db;
        var stored = await db.HashGetAsync(RedisKeys.AlertReminders, firingField);
        var last = stored.HasValue ? DateTimeOffset.FromUnixTimeMilliseconds((long)stored) : firedAt;
        if (now - last < every)
        {
            return false;
        }
        await db.HashSetAsync(RedisKeys.AlertReminders, firingField, now.ToUnixTimeMilliseconds());
        return true;
    }
}
