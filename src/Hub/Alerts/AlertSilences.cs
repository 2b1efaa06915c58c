using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Alerts;

/// <summary>
/// "Don't tell anyone about this for a while": events matching every field set here (a rule, a machine,
/// a tag) are not notified between <see cref="StartsAt"/> and <see cref="EndsAt"/>. They are still
/// recorded and still show as firing, marked silenced, so nothing is hidden from people looking.
/// </summary>
public sealed record AlertSilence
{
    public required string Id { get; init; }
    public string RuleId { get; init; } = "";
    public string MachineId { get; init; } = "";
    public string Tag { get; init; } = "";
    public required DateTimeOffset StartsAt { get; init; }
    public required DateTimeOffset EndsAt { get; init; }
    public string CreatedBy { get; init; } = "";
    public string Comment { get; init; } = "";

    /// <summary>Pure.</summary>
    public bool Matches(AlertEvent alertEvent, DateTimeOffset now) =>
        now >= StartsAt && now < EndsAt
        && (RuleId.Length == 0 || RuleId == alertEvent.RuleId)
        && (MachineId.Length == 0 || MachineId == alertEvent.MachineId)
        && (Tag.Length == 0 || alertEvent.MachineTags.Contains(Tag));
}

/// <summary>
/// Hours in which only severe events are sent (<c>Alerts:QuietHours</c>): from <see cref="Start"/> to
/// <see cref="End"/> in <see cref="TimeZone"/>, wrapping past midnight when End is earlier. Events below
/// <see cref="MinSeverity"/> are not sent then (as Grafana's mute timings); they stay in the history.
/// </summary>
public sealed class QuietHours
{
    public TimeOnly? Start { get; set; }
    public TimeOnly? End { get; set; }
    /// <summary>An IANA or Windows time zone id; empty: UTC.</summary>
    public string TimeZone { get; set; } = "";
    public Severity MinSeverity { get; set; } = Severity.Critical;

    /// <summary>Whether an event of <paramref name="severity"/> waits out the quiet hours at <paramref name="now"/>. Pure.</summary>
    public bool Mutes(Severity severity, DateTimeOffset now)
    {
        if (Start is not { } start || End is not { } end || severity >= MinSeverity || start == end)
        {
            return false;
        }
        var zone = TimeZone.Length == 0 ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        return start < end ? local >= start && local < end : local >= start || local < end;
    }

    public string? Problem()
    {
        if (Start is null != End is null)
        {
            return "Alerts:QuietHours needs both Start and End (\"22:00\", \"07:00\").";
        }
        try
        {
            _ = TimeZone.Length == 0 ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
            return null;
        }
        catch (TimeZoneNotFoundException)
        {
            return $"Alerts:QuietHours: unknown time zone '{TimeZone}' (e.g. Europe/Berlin).";
        }
    }
}

public interface IAlertSilences
{
    Task<IReadOnlyList<AlertSilence>> ListAsync();

    Task AddAsync(AlertSilence silence);

    Task<bool> RemoveAsync(string id);
}

public sealed class InMemoryAlertSilences : IAlertSilences
{
    private readonly ConcurrentDictionary<string, AlertSilence> _silences = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<AlertSilence>> ListAsync() => Task.FromResult<IReadOnlyList<AlertSilence>>([.. _silences.Values.OrderBy(s => s.EndsAt)]);

    public Task AddAsync(AlertSilence silence)
    {
        _silences[silence.Id] = silence;
        return Task.CompletedTask;
    }

    public Task<bool> RemoveAsync(string id) => Task.FromResult(_silences.TryRemove(id, out _));
}

/// <summary>Silences shared by every hub: a hash of JSON by id. Expired ones are dropped when listed.</summary>
public sealed class RedisAlertSilences(IConnectionMultiplexer redis, TimeProvider time) : IAlertSilences
{
    private IDatabase Db => redis.DatabaseOrFail();

    public async Task<IReadOnlyList<AlertSilence>> ListAsync()
    {
        var now = time.GetUtcNow();
        var all = (await Db.HashGetAllAsync(RedisKeys.AlertSilences))
            .Select(e => JsonSerializer.Deserialize<AlertSilence>(e.Value.ToString(), AlertJson.Options)!).ToList();
        var expired = all.Where(s => s.EndsAt <= now).Select(s => (RedisValue)s.Id).ToArray();
        if (expired.Length > 0)
        {
            await Db.HashDeleteAsync(RedisKeys.AlertSilences, expired);
        }
        return [.. all.Where(s => s.EndsAt > now).OrderBy(s => s.EndsAt)];
    }

    public Task AddAsync(AlertSilence silence) =>
        Db.HashSetAsync(RedisKeys.AlertSilences, silence.Id, JsonSerializer.Serialize(silence, AlertJson.Options));

    public Task<bool> RemoveAsync(string id) => Db.HashDeleteAsync(RedisKeys.AlertSilences, id);
}
