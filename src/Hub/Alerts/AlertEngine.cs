using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Alerts;

/// <summary>The <c>Alerts</c> configuration section: rules, and whether the built-in ones run.</summary>
public sealed class AlertOptions
{
    public const string SectionName = "Alerts";

    public List<AlertRule> Rules { get; set; } = [];

    public List<ChannelSettings> Channels { get; set; } = [];

    public QuietHours QuietHours { get; set; } = new();

    /// <summary>How long a notification is retried (with backoff) before it is given up and shown as failed.</summary>
    public double DeliveryTimeoutMinutes { get; set; } = 10;

    /// <summary>How often the notifier looks for new events; events recorded in one period go out as one message per channel.</summary>
    public int NotifyPollMs { get; set; } = 1000;

    /// <summary>The configured channels; throws naming the first bad one.</summary>
    public IReadOnlyList<ChannelSettings> EffectiveChannels()
    {
        foreach (var channel in Channels)
        {
            if (channel.Problem() is { } problem)
            {
                throw new InvalidOperationException($"Alerts:Channels: {problem}");
            }
        }
        if (QuietHours.Problem() is { } quiet)
        {
            throw new InvalidOperationException(quiet);
        }
        if (Channels.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new InvalidOperationException($"Alerts:Channels: two channels are called '{duplicate.Key}'.");
        }
        return Channels;
    }

    /// <summary>Adds <see cref="BuiltIn"/> (disk nearly full, expected process not running, machine offline) to the configured rules.</summary>
    public bool BuiltInRules { get; set; } = true;

    /// <summary>No sample from a machine for this long fires the built-in machine-offline rule; 0 turns it off.</summary>
    public double OfflineAfterSeconds { get; set; } = 60;

    /// <summary>Alerts still firing, and not acknowledged, are notified again this often; 0: never.</summary>
    public double RepeatMinutes { get; set; } = 240;

    /// <summary>How often the fleet's notifier hub looks for machines that went silent (and for reminders due).</summary>
    public double SweepSeconds { get; set; } = 5;

    public const string OfflineRuleId = "machine-offline";

    /// <summary>Rules every fleet wants; a configured rule with the same id replaces one.</summary>
    public IReadOnlyList<AlertRule> BuiltIn() =>
    [
        new AlertRule
        {
            Id = "disk-nearly-full", Name = "Disk nearly full", Metric = "disk_used_percent",
            Threshold = 90, ClearThreshold = 85, ForSeconds = 300, Severity = Severity.Warning,
        },
        // Only machines whose agents watch processes report them, so this costs the others nothing.
        new AlertRule
        {
            Id = "process-not-running", Name = "Expected process not running", Metric = AlertMetrics.WatchedProcessRunning,
            Comparison = Comparison.Below, Threshold = 1, ForSeconds = 15, Severity = Severity.Critical,
        },
        .. OfflineAfterSeconds > 0
            ? new[]
            {
                new AlertRule
                {
                    Id = OfflineRuleId, Name = "Machine offline", Metric = AlertMetrics.SecondsSinceLastSample,
                    Threshold = OfflineAfterSeconds, Severity = Severity.Critical,
                },
            }
            : [],
    ];

    /// <summary>The rules to run: built-in ones (unless replaced or turned off) and configured ones. Throws naming the first bad rule.</summary>
    public IReadOnlyList<AlertRule> Effective()
    {
        var rules = new Dictionary<string, AlertRule>(StringComparer.Ordinal);
        if (BuiltInRules)
        {
            foreach (var rule in BuiltIn())
            {
                rules[rule.Id] = rule;
            }
        }
        foreach (var rule in Rules)
        {
            if (rule.Problem() is { } problem)
            {
                throw new InvalidOperationException($"Alerts:Rules: rule '{rule.Id}': {problem}");
            }
            rules[rule.Id] = rule;
        }
        return [.. rules.Values];
    }
}

/// <summary>
/// Evaluates every sample a hub stores against the rules, before the sample is acknowledged. Each hub
/// evaluates the machines whose agents stream to it, so every machine is evaluated once however many
/// hubs run. States and events live in the store (Redis when hubs share one): when an agent moves to
/// another hub, that hub reads the machine's states and carries on, and a transition is committed only
/// against the state it read, so one transition is recorded once even while two hubs briefly hold the
/// same machine. A commit that fails on a dead Redis is retried by the caller (the sample stays
/// unacknowledged, so nothing is lost).
/// </summary>
public sealed class AlertEngine(IOptions<AlertOptions> options, IAlertStore store, IAlertRuleStore ruleStore, ILogger<AlertEngine> logger)
{
    private sealed class MachineAlerts
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        /// <summary>field → (state, the JSON last read from or written to the store).</summary>
        public Dictionary<string, (AlertState State, string Json)>? States;
    }

    private readonly ConcurrentDictionary<string, MachineAlerts> _machines = new(StringComparer.Ordinal);

    /// <summary>The rules from configuration and the built-in ones: in force always, edited only in configuration.</summary>
    public IReadOnlyList<AlertRule> ConfiguredRules { get; } = options.Value.Effective();

    private volatile IReadOnlyList<AlertRule>? _rules;

    /// <summary>The rules in force: the configured ones, then those stored by admins (whose ids never clash with configured ones).</summary>
    public IReadOnlyList<AlertRule> Rules => _rules ?? ConfiguredRules;

    /// <summary>Reads the stored rules again (every few seconds, and at once after a change on this hub).</summary>
    public async Task RefreshRulesAsync()
    {
        var configured = ConfiguredRules.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var stored = (await ruleStore.ListAsync()).Where(r => !configured.Contains(r.Id) && r.Problem() is null);
        var previous = Rules;
        _rules = [.. ConfiguredRules, .. stored];
        foreach (var gone in previous.Where(p => !_rules.Any(r => r.Id == p.Id)))
        {
            _retired[gone.Id] = gone;
        }
    }

    /// <summary>Rules deleted while this hub ran: their alerts still resolve under their own name and severity.</summary>
    private readonly ConcurrentDictionary<string, AlertRule> _retired = new(StringComparer.Ordinal);

    private static string Field(AlertKey key) => key.RuleId + "\n" + key.Instance;

    private static AlertKey KeyOf(string machineId, string field)
    {
        var split = field.IndexOf('\n', StringComparison.Ordinal);
        return new AlertKey(field[..Math.Max(0, split)], machineId, split < 0 ? "" : field[(split + 1)..]);
    }

    public Task ObserveAsync(string machineId, IReadOnlyCollection<string> tags, Sample sample) =>
        WithMachineAsync(machineId, tags, states => AlertEvaluator.Evaluate(Rules, machineId, tags, sample,
            key => states.TryGetValue(Field(key), out var entry) ? entry.State : null,
            // Lazy: Evaluate reads the states and returns its changes; they are applied after it returns.
            states.Count == 0 ? null : states.Select(kv => (KeyOf(machineId, kv.Key), kv.Value.State))));

    /// <summary>
    /// Steps one rule with a value that does not come from a sample: how long a machine has been silent,
    /// for the machine-offline rule, measured by the fleet's notifier hub.
    /// </summary>
    public Task ObserveValueAsync(string machineId, IReadOnlyCollection<string> tags, AlertRule rule, double value, DateTimeOffset at) =>
        WithMachineAsync(machineId, tags, states =>
        {
            var key = new AlertKey(rule.Id, machineId, "");
            var previous = states.TryGetValue(Field(key), out var entry) ? entry.State : null;
            var (next, kind) = AlertEvaluator.Step(rule, previous, value, at);
            List<(AlertKey, AlertState?)> changes = Equals(next, previous) ? [] : [(key, next)];
            List<AlertTransition> transitions = kind is { } k ? [new AlertTransition(rule.Id, machineId, "", k, at, value)] : [];
            return (changes, transitions);
        });

    private async Task WithMachineAsync(string machineId, IReadOnlyCollection<string> tags,
        Func<Dictionary<string, (AlertState State, string Json)>, (List<(AlertKey Key, AlertState? State)>, List<AlertTransition>)> evaluate)
    {
        var machine = _machines.GetOrAdd(machineId, _ => new MachineAlerts());
        await machine.Gate.WaitAsync();
        try
        {
            machine.States ??= await LoadAsync(machineId);
            var states = machine.States;
            var (changes, transitions) = evaluate(states);
            foreach (var (key, next) in changes)
            {
                var field = Field(key);
                var had = states.TryGetValue(field, out var old);
                var transition = transitions.FirstOrDefault(t => t.RuleId == key.RuleId && t.Instance == key.Instance);
                // A firing alert's latest value changes every sample; only a new phase (or a new start) is stored.
                if (transition is null && next is not null && had && old.State.Phase == next.Phase && old.State.Since == next.Since)
                {
                    states[field] = (next, old.Json);
                    continue;
                }
                var json = next is null ? null : JsonSerializer.Serialize(next, AlertJson.Options);
                var alertEvent = transition is null ? null : EventOf(transition, tags);
                if (!await store.CommitAsync(machineId, field, had ? old.Json : "", json, alertEvent))
                {
                    // Another hub moved this alert on (a hand-over): take its view and let the next sample continue from there.
                    machine.States = await LoadAsync(machineId);
                    logger.LogDebug("Alert {Field} of {MachineId} was changed by another hub; reloaded", field, machineId);
                    return;
                }
                if (json is null)
                {
                    states.Remove(field);
                }
                else
                {
                    states[field] = (next!, json);
                }
                if (alertEvent is not null)
                {
                    logger.Log(alertEvent.Kind == TransitionKind.Fired ? LogLevel.Warning : LogLevel.Information,
                        "Alert {RuleId} {Kind} on {MachineId} {Instance}: value {Value}", alertEvent.RuleId, alertEvent.Kind,
                        alertEvent.MachineId, alertEvent.Instance, alertEvent.Value);
                }
            }
        }
        catch
        {
            machine.States = null; // half-applied: read the store again next time
            throw;
        }
        finally
        {
            machine.Gate.Release();
        }
    }

    /// <summary>The stream of this machine ended here: its states are read again if it comes back (it may have been elsewhere meanwhile).</summary>
    public void Forget(string machineId) => _machines.TryRemove(machineId, out _);

    private async Task<Dictionary<string, (AlertState, string)>> LoadAsync(string machineId)
    {
        var stored = await store.LoadAsync(machineId);
        var states = new Dictionary<string, (AlertState, string)>(StringComparer.Ordinal);
        foreach (var (field, json) in stored)
        {
            if (JsonSerializer.Deserialize<AlertState>(json, AlertJson.Options) is { } state)
            {
                states[field] = (state, json);
            }
        }
        return states;
    }

    private AlertEvent EventOf(AlertTransition transition, IReadOnlyCollection<string> tags)
    {
        // A rule deleted before this hub started is known only by its id.
        var rule = Rules.FirstOrDefault(r => r.Id == transition.RuleId) ?? _retired.GetValueOrDefault(transition.RuleId)
            ?? new AlertRule { Id = transition.RuleId, Name = transition.RuleId, Metric = "", Threshold = 0 };
        return new AlertEvent(rule.Id, rule.Name, rule.Severity, transition.MachineId, transition.Instance, transition.Kind, transition.At,
            transition.Value, [.. tags]);
    }

    /// <summary>The firing alerts of machines <paramref name="restriction"/> lets one see (null: all).</summary>
    public async Task<IEnumerable<AlertEvent>> ActiveAsync(IReadOnlySet<string>? restriction = null) =>
        (await store.FiringAsync()).Where(e => Accounts.MachineAccess.CanSee(restriction, e.MachineTags));

    /// <summary>Events of machines <paramref name="restriction"/> lets one see (null: all), newest first.</summary>
    public async Task<IEnumerable<AlertEvent>> HistoryAsync(int count, IReadOnlySet<string>? restriction = null) =>
        (await store.EventsAsync(count)).Where(e => Accounts.MachineAccess.CanSee(restriction, e.MachineTags));
}
