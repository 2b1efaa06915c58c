using SysMon.Protocol.V1;

namespace SysMon.Hub.Alerts;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<AlertPhase>))]
public enum AlertPhase
{
    /// <summary>The condition holds, for less than the rule's duration so far.</summary>
    Pending,
    Firing,
}

/// <summary>Where one rule stands for one machine and instance. No state means "fine".</summary>
public sealed record AlertState(AlertPhase Phase, DateTimeOffset Since, double Value, DateTimeOffset LastSeen);

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<TransitionKind>))]
public enum TransitionKind
{
    Fired,
    Resolved,
}

/// <summary>An alert starting or ending: what notifications are sent about, once each.</summary>
public sealed record AlertTransition(string RuleId, string MachineId, string Instance, TransitionKind Kind, DateTimeOffset At, double Value);

/// <summary>The key of one alert: a rule, a machine, an instance of the rule's metric.</summary>
public readonly record struct AlertKey(string RuleId, string MachineId, string Instance);

/// <summary>
/// The state machine of one alert, and the evaluation of a sample against the rules. Pure: the caller
/// keeps the states (in memory, or in Redis where hubs share them) and delivers the transitions.
/// </summary>
public static class AlertEvaluator
{
    /// <summary>
    /// A pending condition interrupted by a longer silence starts over: "above 90 % for 5 minutes" means
    /// five minutes seen, not two minutes, a gap, and one more sample.
    /// </summary>
    public static readonly TimeSpan MaxGap = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The next state (null: fine) and the transition, if any, after seeing <paramref name="value"/> at
    /// <paramref name="at"/>. A sample older than the last one seen (a replay after an outage) changes nothing.
    /// </summary>
    public static (AlertState? Next, TransitionKind? Transition) Step(AlertRule rule, AlertState? previous, double value, DateTimeOffset at)
    {
        if (previous is not null && at <= previous.LastSeen)
        {
            return (previous, null);
        }
        if (previous is { Phase: AlertPhase.Firing })
        {
            return rule.IsBad(value, firing: true)
                ? (previous with { Value = value, LastSeen = at }, null)
                : (null, TransitionKind.Resolved);
        }
        if (!rule.IsBad(value, firing: false))
        {
            return (null, null);
        }
        var since = previous is { Phase: AlertPhase.Pending } pending && at - pending.LastSeen <= MaxGap ? pending.Since : at;
        return at - since >= TimeSpan.FromSeconds(rule.ForSeconds)
            ? (new AlertState(AlertPhase.Firing, at, value, at), TransitionKind.Fired)
            : (new AlertState(AlertPhase.Pending, since, value, at), null);
    }

    /// <summary>
    /// Evaluates every rule that applies to the machine against <paramref name="sample"/>. Returns the new
    /// states (null: fine, forget it) and the transitions. With <paramref name="current"/> (the machine's
    /// pending and firing alerts), an alert the sample no longer speaks of ends too: its rule was deleted,
    /// disabled or no longer covers the machine (at once), or its instance (a filesystem unmounted, an
    /// interface removed) has been missing from samples for longer than <see cref="MaxGap"/>, which a
    /// collector failing for a moment does not reach. A firing one resolves at its last value. Pure.
    /// </summary>
    public static (List<(AlertKey Key, AlertState? State)> Changes, List<AlertTransition> Transitions) Evaluate(
        IReadOnlyList<AlertRule> rules, string machineId, IReadOnlyCollection<string> tags, Sample sample,
        Func<AlertKey, AlertState?> stateOf, IEnumerable<(AlertKey Key, AlertState State)>? current = null)
    {
        var changes = new List<(AlertKey, AlertState?)>();
        var transitions = new List<AlertTransition>();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(sample.TimestampUnixMs);
        foreach (var rule in rules)
        {
            if (!rule.Applies(machineId, tags))
            {
                continue;
            }
            foreach (var (instance, value) in AlertMetrics.Read(rule.Metric, sample, rule.Instance))
            {
                var key = new AlertKey(rule.Id, machineId, instance);
                var previous = stateOf(key);
                var (next, transition) = Step(rule, previous, value, at);
                if (!Equals(next, previous))
                {
                    changes.Add((key, next));
                }
                if (transition is { } kind)
                {
                    transitions.Add(new AlertTransition(rule.Id, machineId, instance, kind, at, value));
                }
            }
        }
        foreach (var (key, state) in current ?? [])
        {
            if (Gone(rules, machineId, tags, sample, at, key, state))
            {
                changes.Add((key, null));
                if (state.Phase == AlertPhase.Firing)
                {
                    transitions.Add(new AlertTransition(key.RuleId, machineId, key.Instance, TransitionKind.Resolved,
                        at > state.LastSeen ? at : state.LastSeen, state.Value));
                }
            }
        }
        return (changes, transitions);
    }

    private static bool Gone(IReadOnlyList<AlertRule> rules, string machineId, IReadOnlyCollection<string> tags, Sample sample,
        DateTimeOffset at, AlertKey key, AlertState state)
    {
        AlertRule? rule = null;
        foreach (var r in rules)
        {
            if (r.Id == key.RuleId)
            {
                rule = r;
                break;
            }
        }
        if (rule is null || !rule.Applies(machineId, tags))
        {
            return true;
        }
        // Offline is measured from the registry, not read from samples; the sample just evaluated spoke of this instance.
        return rule.Metric != AlertMetrics.SecondsSinceLastSample
            && at - state.LastSeen > MaxGap
            && !AlertMetrics.Read(rule.Metric, sample, key.Instance).Any();
    }
}
