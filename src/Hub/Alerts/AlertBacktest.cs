using SysMon.Hub.History;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Alerts;

/// <summary>What a rule would have done to one machine at one moment of the past.</summary>
public sealed record BacktestTransition(string MachineId, string Instance, TransitionKind Kind, DateTimeOffset At, double Value);

/// <summary>
/// The answer to "would this rule have fired in the last hour?": every transition, oldest first, and the
/// alerts that would be firing at the end of the window.
/// </summary>
public sealed record BacktestResult(
    DateTimeOffset From, DateTimeOffset To, string Tier, int StepSeconds, int MachinesChecked,
    int Fired, int Resolved, int FiringAtEnd, IReadOnlyList<BacktestTransition> Transitions, bool Truncated);

/// <summary>
/// Replays stored history through a rule with the live evaluator, so a rule is tried before it pages
/// anyone. History keeps averages per step (every sample for the last 15 minutes, 10 s steps for a day,
/// 1 minute for a month), so over longer windows a spike shorter than a step can average out.
/// </summary>
public static class AlertBacktest
{
    /// <summary>More transitions than this is a rule that flaps, and the list says so instead of growing.</summary>
    public const int MaxTransitions = 1000;

    /// <summary>About this many points per machine: the window picks the tier (raw, 10 s, 1 min).</summary>
    private const int TargetPoints = 2000;

    private const int ParallelMachines = 8;

    /// <summary>
    /// The transitions <paramref name="rule"/> makes over <paramref name="samples"/> (oldest first) from a
    /// clean start, and how many of its alerts are firing after the last one. Pure.
    /// </summary>
    public static (List<AlertTransition> Transitions, int FiringAtEnd) Replay(
        AlertRule rule, string machineId, IReadOnlyCollection<string> tags, IEnumerable<Sample> samples)
    {
        var states = new Dictionary<AlertKey, AlertState>();
        var transitions = new List<AlertTransition>();
        AlertRule[] rules = [rule with { Enabled = true }];
        foreach (var sample in samples)
        {
            var (changes, happened) = AlertEvaluator.Evaluate(rules, machineId, tags, sample, key => states.GetValueOrDefault(key),
                states.Select(kv => (kv.Key, kv.Value)));
            foreach (var (key, state) in changes)
            {
                if (state is null)
                {
                    states.Remove(key);
                }
                else
                {
                    states[key] = state;
                }
            }
            transitions.AddRange(happened);
        }
        return (transitions, states.Values.Count(s => s.Phase == AlertPhase.Firing));
    }

    /// <summary>Replays the last <paramref name="window"/> of every machine in the rule's scope among <paramref name="machines"/>.</summary>
    public static async Task<BacktestResult> RunAsync(AlertRule rule, IEnumerable<MachineRecord> machines, IHistoryStore store,
        HistoryOptions options, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken)
    {
        var toSeconds = now.ToUnixTimeSeconds();
        var fromSeconds = toSeconds - (long)window.TotalSeconds;
        var tier = Api.HistoryApi.ChooseTier(options, fromSeconds, toSeconds, Math.Max(1, (toSeconds - fromSeconds) / TargetPoints));
        var enabled = rule with { Enabled = true };
        var inScope = machines.Where(m => enabled.Applies(m.Id, m.Hello.Tags)).ToList();
        var results = new List<(List<AlertTransition> Transitions, int FiringAtEnd)>();
        await Parallel.ForEachAsync(inScope, new ParallelOptions { MaxDegreeOfParallelism = ParallelMachines, CancellationToken = cancellationToken },
            async (machine, _) =>
            {
                var points = await store.ReadAsync(machine.Id, tier, fromSeconds, toSeconds + 1);
                var replayed = Replay(rule, machine.Id, machine.Hello.Tags, points.Select(HistoryPoints.ToSample));
                lock (results)
                {
                    results.Add(replayed);
                }
            });
        var all = results.SelectMany(r => r.Transitions).OrderBy(t => t.At).ThenBy(t => t.MachineId, StringComparer.Ordinal).ToList();
        return new BacktestResult(
            DateTimeOffset.FromUnixTimeSeconds(fromSeconds), now, tier.Name, tier.StepSeconds, inScope.Count,
            all.Count(t => t.Kind == TransitionKind.Fired), all.Count(t => t.Kind == TransitionKind.Resolved), results.Sum(r => r.FiringAtEnd),
            [.. all.Take(MaxTransitions).Select(t => new BacktestTransition(t.MachineId, t.Instance, t.Kind, t.At, t.Value))],
            all.Count > MaxTransitions);
    }
}
