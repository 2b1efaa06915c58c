using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Alerts;

/// <summary>Rules admins made in the dashboard or the API, shared by every hub (configured rules stay in configuration).</summary>
public interface IAlertRuleStore
{
    Task<IReadOnlyList<AlertRule>> ListAsync();

    Task SaveAsync(AlertRule rule);

    Task<bool> DeleteAsync(string id);
}

public sealed class InMemoryAlertRuleStore : IAlertRuleStore
{
    private readonly ConcurrentDictionary<string, AlertRule> _rules = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<AlertRule>> ListAsync() => Task.FromResult<IReadOnlyList<AlertRule>>([.. _rules.Values.OrderBy(r => r.Id, StringComparer.Ordinal)]);

    public Task SaveAsync(AlertRule rule)
    {
        _rules[rule.Id] = rule;
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string id) => Task.FromResult(_rules.TryRemove(id, out _));
}

/// <summary>A hash of JSON rules by id.</summary>
public sealed class RedisAlertRuleStore(IConnectionMultiplexer redis) : IAlertRuleStore
{
    private IDatabase Db => redis.DatabaseOrFail();

    public async Task<IReadOnlyList<AlertRule>> ListAsync() =>
        [.. (await Db.HashValuesAsync(RedisKeys.AlertRules)).Select(v => JsonSerializer.Deserialize<AlertRule>(v.ToString(), AlertJson.Options)!)
            .OrderBy(r => r.Id, StringComparer.Ordinal)];

    public Task SaveAsync(AlertRule rule) => Db.HashSetAsync(RedisKeys.AlertRules, rule.Id, JsonSerializer.Serialize(rule, AlertJson.Options));

    public Task<bool> DeleteAsync(string id) => Db.HashDeleteAsync(RedisKeys.AlertRules, id);
}

/// <summary>Reads the stored rules every few seconds, so a rule changed on one hub is in force on every hub within that time.</summary>
public sealed class AlertRuleRefresher(AlertEngine engine, ILogger<AlertRuleRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                await engine.RefreshRulesAsync();
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                logger.LogDebug("Stored alert rules not refreshed: {Error}", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
