using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Alerts;

/// <summary>The <c>Alerts</c> configuration section: rules, and whether the built-in ones run.</summary>
public sealed class AlertOptions
{
    public const string SectionName = "Alerts";

    public List<AlertRule> Rules { get; set; } = [];

    /// <summary>Adds <see cref="BuiltIn"/> (disk nearly full) to the configured rules.</summary>
    public bool BuiltInRules { get; set; } = true;

    /// <summary>Rules every fleet wants; a configured rule with the same id replaces one.</summary>
    public static IReadOnlyList<AlertRule> BuiltIn { get; } =
    [
        new AlertRule
        {
            Id = "disk-nearly-full", Name = "Disk nearly full", Metric = "disk_used_percent",
            Threshold = 90, ClearThreshold = 85, ForSeconds = 300, Severity = Severity.Warning,
        },
    ];

    /// <summary>The rules to run: built-in ones (unless replaced or turned off) and configured ones. Throws naming the first bad rule.</summary>
    public IReadOnlyList<AlertRule> Effective()
    {
        var rules = new Dictionary<string, AlertRule>(StringComparer.Ordinal);
        if (BuiltInRules)
        {
            foreach (var rule in BuiltIn)
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

/// <summary>A firing alert as viewers see it.</summary>
public sealed record ActiveAlert(
    string RuleId, string RuleName, Severity Severity, string MachineId, string Instance, DateTimeOffset Since, double Value,
    IReadOnlyCollection<string> MachineTags);

/// <summary>
/// Evaluates every sample this hub receives against the rules, as it arrives, and keeps each alert's
/// state and the recent transitions. For now the state lives in this hub's memory: each hub evaluates
/// the machines whose agents stream to it (docs/alerts.md says what this means with several hubs).
/// </summary>
public sealed class AlertEngine
{
    public const int HistoryCapacity = 1000;

    private readonly ConcurrentDictionary<AlertKey, (AlertState State, IReadOnlyCollection<string> Tags)> _states = new();
    private readonly ConcurrentQueue<(AlertTransition Transition, IReadOnlyCollection<string> Tags)> _history = new();
    private readonly Lock _evaluate = new();
    private readonly ILogger<AlertEngine> _logger;

    public AlertEngine(IOptions<AlertOptions> options, ILogger<AlertEngine> logger)
    {
        _logger = logger;
        Rules = options.Value.Effective();
    }

    public IReadOnlyList<AlertRule> Rules { get; }

    public void Observe(string machineId, IReadOnlyCollection<string> tags, Sample sample)
    {
        List<AlertTransition> transitions;
        lock (_evaluate) // two streams of one machine (a hand-over) must not step one alert at once
        {
            (var changes, transitions) = AlertEvaluator.Evaluate(Rules, machineId, tags, sample,
                key => _states.TryGetValue(key, out var entry) ? entry.State : null);
            foreach (var (key, state) in changes)
            {
                if (state is null)
                {
                    _states.TryRemove(key, out _);
                }
                else
                {
                    _states[key] = (state, tags);
                }
            }
        }
        foreach (var transition in transitions)
        {
            _history.Enqueue((transition, tags));
            while (_history.Count > HistoryCapacity && _history.TryDequeue(out _))
            {
            }
            _logger.Log(transition.Kind == TransitionKind.Fired ? LogLevel.Warning : LogLevel.Information,
                "Alert {RuleId} {Kind} on {MachineId} {Instance}: value {Value}", transition.RuleId, transition.Kind, transition.MachineId,
                transition.Instance, transition.Value);
        }
    }

    /// <summary>The firing alerts of machines <paramref name="restriction"/> lets one see (null: all).</summary>
    public IEnumerable<ActiveAlert> Active(IReadOnlySet<string>? restriction = null)
    {
        var rules = Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var (key, (state, tags)) in _states)
        {
            if (state.Phase == AlertPhase.Firing && rules.TryGetValue(key.RuleId, out var rule) && Accounts.MachineAccess.CanSee(restriction, tags))
            {
                yield return new ActiveAlert(rule.Id, rule.Name, rule.Severity, key.MachineId, key.Instance, state.Since, state.Value, tags);
            }
        }
    }

    /// <summary>Transitions of machines <paramref name="restriction"/> lets one see (null: all), newest first.</summary>
    public IEnumerable<AlertTransition> History(IReadOnlySet<string>? restriction = null) =>
        _history.Reverse().Where(entry => Accounts.MachineAccess.CanSee(restriction, entry.Tags)).Select(entry => entry.Transition);
}
