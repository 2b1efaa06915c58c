using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using SysMon.Hub.Ingest;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Alerts;

/// <summary>How one channel's deliveries went, for the API and the dashboard: failures are visible, not only logged.</summary>
public sealed record ChannelStatus(string Id, ChannelKind Kind, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure, string? LastError,
    long Delivered, long Failed);

/// <summary>
/// The one notifier of the fleet, which also runs the machine-offline rule (a silent machine sends no
/// sample to evaluate): whichever hub holds the lease in Redis (a key renewed every few seconds,
/// taken over by another hub within <see cref="LeaseTtl"/> when its holder dies) reads the outbox, groups
/// the events of each batch by kind, sends each group to every channel with retries and backoff, and
/// acknowledges the batch. A lone hub without Redis is its own notifier.
/// </summary>
public sealed class AlertNotifier(
    IAlertOutbox outbox,
    AlertChannelSender sender,
    IOptions<AlertOptions> options,
    AlertEngine engine,
    IMachineRegistry registry,
    IAlertSilences silences,
    IAlertStore store,
    HubInstance instance,
    TimeProvider time,
    ILogger<AlertNotifier> logger,
    IConnectionMultiplexer? redis = null) : BackgroundService
{
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan[] Backoff = [.. new[] { 1, 2, 4, 8, 15, 30, 60 }.Select(s => TimeSpan.FromSeconds(s))];

    private static readonly LuaScript HoldLease = LuaScript.Prepare("""
        local holder = redis.call('GET', @key)
        if holder == false then redis.call('SET', @key, @me, 'PX', @ttl) return 1 end
        if holder == @me then redis.call('PEXPIRE', @key, @ttl) return 1 end
        return 0
        """);

    private readonly ConcurrentDictionary<string, ChannelStatus> _status = new(StringComparer.Ordinal);

    public IReadOnlyList<ChannelSettings> Channels { get; } = options.Value.EffectiveChannels();

    /// <summary>This hub's view of each channel; the notifier's is also in Redis (<see cref="StatusAsync"/>).</summary>
    public async Task<IReadOnlyList<ChannelStatus>> StatusAsync()
    {
        if (redis is { IsConnected: true })
        {
            var stored = await redis.GetDatabase().HashGetAllAsync(RedisKeys.AlertChannelStatus);
            var byId = stored.ToDictionary(e => e.Name.ToString(), e => JsonSerializer.Deserialize<ChannelStatus>(e.Value.ToString(), AlertJson.Options)!);
            return [.. Channels.Select(c => byId.GetValueOrDefault(c.Id) ?? Empty(c))];
        }
        return [.. Channels.Select(c => _status.GetValueOrDefault(c.Id) ?? Empty(c))];
    }

    private static ChannelStatus Empty(ChannelSettings c) => new(c.Id, c.Kind, null, null, null, 0, 0);

    /// <summary>True while this hub holds the notifier's lease; the channels' loops deliver only then.</summary>
    private volatile bool _leading;

    /// <summary>Reminders due, per channel, handed from the sweep to the channel's loop (so a channel that is down delays only itself).</summary>
    private readonly Dictionary<string, System.Threading.Channels.Channel<List<(string Id, AlertEvent Event)>>> _reminders =
        options.Value.Channels.DistinctBy(c => c.Id).ToDictionary(c => c.Id,
            _ => System.Threading.Channels.Channel.CreateBounded<List<(string, AlertEvent)>>(
                new System.Threading.Channels.BoundedChannelOptions(100) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest }),
            StringComparer.Ordinal);

    private TimeSpan Poll => TimeSpan.FromMilliseconds(Math.Max(100, options.Value.NotifyPollMs));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = Channels.Select(channel => Task.Run(() => ChannelLoopAsync(channel, stoppingToken), CancellationToken.None)).ToList();
        var sweepEvery = TimeSpan.FromSeconds(Math.Max(0.2, options.Value.SweepSeconds));
        var nextSweep = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _leading = await HoldLeaseAsync();
                if (!_leading)
                {
                    await Task.Delay(LeaseTtl / 3, stoppingToken);
                    continue;
                }
                if (time.GetUtcNow() >= nextSweep)
                {
                    if (engine.Rules.FirstOrDefault(r => r.Id == AlertOptions.OfflineRuleId && r.Enabled) is { } offline)
                    {
                        await SweepAsync(offline);
                    }
                    await RemindAsync();
                    nextSweep = time.GetUtcNow() + sweepEvery;
                }
                await Task.Delay(Poll < sweepEvery ? Poll : sweepEvery, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                _leading = false; // the lease cannot be renewed, so another hub may take it: stop delivering
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        _leading = false;
        await Task.WhenAll(loops);
    }

    /// <summary>
    /// One channel's queue: read what it has not acknowledged, leave out what is silenced or muted, send
    /// one message per kind (retrying with backoff), acknowledge. Each channel has its own loop and its
    /// own cursor in the outbox, so a channel that is down holds back only its own messages.
    /// </summary>
    private async Task ChannelLoopAsync(ChannelSettings channel, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!_leading)
                {
                    await Task.Delay(Poll, stoppingToken);
                    continue;
                }
                while (_reminders[channel.Id].Reader.TryRead(out var due))
                {
                    await DeliverAsync(channel, TransitionKind.Fired, due, stoppingToken, reminder: true);
                }
                var batch = await outbox.ReadAsync(channel.Id, 100);
                if (batch.Count == 0)
                {
                    await Task.Delay(Poll, stoppingToken);
                    continue;
                }
                var now = time.GetUtcNow();
                var active = await silences.ListAsync();
                var deliverable = batch.Where(e => !Muted(e.Event, active, now)).ToList();
                if (deliverable.Count < batch.Count)
                {
                    logger.LogInformation("{Count} alert events not sent to {Channel}: silenced or in quiet hours", batch.Count - deliverable.Count, channel.Id);
                }
                foreach (var group in deliverable.GroupBy(e => e.Event.Kind))
                {
                    await DeliverAsync(channel, group.Key, [.. group], stoppingToken);
                }
                await outbox.AckAsync(channel.Id, batch.Select(e => e.Id));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (!_leading)
            {
                logger.LogInformation("Stopped notifying {Channel}: another hub holds the notifier's lease", channel.Id);
            }
            catch (Exception ex)
            {
                // A dead Redis, or anything unexpected: this channel's loop waits and carries on; the others are not affected.
                if (!RedisOutage.Is(ex))
                {
                    logger.LogError(ex, "Notifying {Channel} failed unexpectedly; retrying", channel.Id);
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Silenced, or below the severity quiet hours let through now: recorded in the history, not sent.</summary>
    private bool Muted(AlertEvent alertEvent, IReadOnlyList<AlertSilence> active, DateTimeOffset now) =>
        active.Any(s => s.Matches(alertEvent, now)) || options.Value.QuietHours.Mutes(alertEvent.Severity, now);

    /// <summary>
    /// Queues, as one message per channel, the alerts firing for longer than Alerts:RepeatMinutes that
    /// nobody acknowledged. A reminder claimed here and lost with this hub comes one period later.
    /// </summary>
    private async Task RemindAsync()
    {
        var every = TimeSpan.FromMinutes(options.Value.RepeatMinutes);
        if (every <= TimeSpan.Zero || Channels.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var acks = await store.AcknowledgementsAsync();
        var active = await silences.ListAsync();
        var due = new List<(string, AlertEvent)>();
        foreach (var firing in await store.FiringAsync())
        {
            var field = AlertJson.FiringField(firing);
            if (!acks.ContainsKey(field) && !Muted(firing, active, now) && await store.ClaimReminderAsync(field, firing.At, now, every))
            {
                due.Add(("reminder:" + field.Replace('\n', ' '), firing));
            }
        }
        if (due.Count > 0)
        {
            foreach (var channel in Channels)
            {
                _reminders[channel.Id].Writer.TryWrite(due);
            }
        }
    }

    /// <summary>Steps the machine-offline rule of every machine with how long it has been silent.</summary>
    private async Task SweepAsync(AlertRule offline)
    {
        var now = time.GetUtcNow();
        foreach (var machine in await registry.ListAsync())
        {
            if (machine.LastSeen is { } seen && offline.Applies(machine.Id, machine.Hello.Tags))
            {
                await engine.ObserveValueAsync(machine.Id, machine.Hello.Tags, offline, Math.Max(0, (now - seen).TotalSeconds), now);
            }
        }
    }

    private async Task<bool> HoldLeaseAsync()
    {
        if (redis is null)
        {
            return true;
        }
        var held = await redis.DatabaseOrFail().ScriptEvaluateAsync(HoldLease,
            new { key = RedisKeys.AlertNotifierLease, me = instance.Id, ttl = (long)LeaseTtl.TotalMilliseconds });
        return (int)held == 1;
    }

    /// <summary>Sends one group to one channel, retrying with backoff for up to Alerts:DeliveryTimeoutMinutes; a last failure is recorded and logged as an error.</summary>
    private async Task DeliverAsync(ChannelSettings channel, TransitionKind kind, List<(string Id, AlertEvent Event)> events, CancellationToken stoppingToken,
        bool reminder = false)
    {
        var wanted = events.Where(e => e.Event.Severity >= channel.MinSeverity).ToList();
        if (wanted.Count == 0)
        {
            return;
        }
        var message = new AlertMessage(kind, wanted, reminder);
        var giveUpAt = time.GetUtcNow() + TimeSpan.FromMinutes(options.Value.DeliveryTimeoutMinutes);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await sender.SendAsync(channel, message, stoppingToken);
                await RecordAsync(channel, error: null);
                return;
            }
            catch (Exception ex) when (ex is ChannelDeliveryException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                var delay = Backoff[Math.Min(attempt, Backoff.Length - 1)];
                if (time.GetUtcNow() + delay > giveUpAt)
                {
                    logger.LogError("Gave up notifying {Channel} of {Count} alert events after {Attempts} attempts: {Error}",
                        channel.Id, wanted.Count, attempt + 1, ex.Message);
                    await RecordAsync(channel, ex.Message, gaveUp: true);
                    return;
                }
                logger.LogWarning("Notifying {Channel} failed (attempt {Attempt}); retrying in {Delay}: {Error}", channel.Id, attempt + 1, delay, ex.Message);
                await RecordAsync(channel, ex.Message);
                await Task.Delay(delay, stoppingToken);
                if (!_leading)
                {
                    // Another hub is the notifier now: it reads this batch again, as it was not acknowledged.
                    throw new OperationCanceledException("No longer the notifier.");
                }
            }
        }
    }

    /// <summary>Sends a test message now (the dashboard's test button); returns null or the error.</summary>
    public async Task<string?> TestAsync(ChannelSettings channel, CancellationToken cancellationToken)
    {
        var test = new AlertEvent("test", "SysMon test notification", Severity.Info, "test-machine", "", TransitionKind.Fired, time.GetUtcNow(), 0, []);
        try
        {
            await sender.SendAsync(channel, new AlertMessage(TransitionKind.Fired, [("test", test)]), cancellationToken);
            await RecordAsync(channel, null);
            return null;
        }
        catch (Exception ex) when (ex is ChannelDeliveryException or TaskCanceledException)
        {
            await RecordAsync(channel, ex.Message);
            return ex.Message;
        }
    }

    private async Task RecordAsync(ChannelSettings channel, string? error, bool gaveUp = false)
    {
        var now = time.GetUtcNow();
        var status = _status.AddOrUpdate(channel.Id,
            _ => Next(Empty(channel)),
            (_, old) => Next(old));
        ChannelStatus Next(ChannelStatus old) => error is null
            ? old with { LastSuccess = now, Delivered = old.Delivered + 1 }
            : old with { LastFailure = now, LastError = error, Failed = old.Failed + (gaveUp ? 1 : 0) };
        if (redis is { IsConnected: true })
        {
            try
            {
                await redis.GetDatabase().HashSetAsync(RedisKeys.AlertChannelStatus, channel.Id, JsonSerializer.Serialize(status, AlertJson.Options));
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                // The status is also in this hub's memory; it reaches Redis with the next delivery.
            }
        }
    }
}
