using System.Text.Json.Serialization;

namespace SysMon.Hub.Alerts;

[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    Info,
    Warning,
    Critical,
}

[JsonConverter(typeof(JsonStringEnumConverter<Comparison>))]
public enum Comparison
{
    /// <summary>Fires while the value is above the threshold.</summary>
    Above,
    /// <summary>Fires while the value is below the threshold (free space, available memory).</summary>
    Below,
}

/// <summary>
/// "cpu_percent above 90 for 5 minutes, clear below 80, critical, machines tagged prod". A rule watches
/// one metric (<see cref="AlertMetrics"/>), optionally one instance of it (a mount point, an interface),
/// and is evaluated per machine and instance in its scope.
/// </summary>
public sealed record AlertRule
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Metric { get; init; }
    /// <summary>Only this instance (e.g. "/var" for disk_used_percent); empty: every instance.</summary>
    public string Instance { get; init; } = "";
    public Comparison Comparison { get; init; } = Comparison.Above;
    public required double Threshold { get; init; }
    /// <summary>The value at which a firing alert resolves (hysteresis); null: the threshold itself.</summary>
    public double? ClearThreshold { get; init; }
    /// <summary>How long the condition must hold before the alert fires; 0: at the first sample that breaks it.</summary>
    public double ForSeconds { get; init; }
    public Severity Severity { get; init; } = Severity.Warning;
    /// <summary>Only machines carrying this tag; empty: every machine (unless <see cref="MachineId"/> is set).</summary>
    public string Tag { get; init; } = "";
    /// <summary>Only this machine; empty: every machine (in <see cref="Tag"/>).</summary>
    public string MachineId { get; init; } = "";
    public bool Enabled { get; init; } = true;

    public bool Applies(string machineId, IReadOnlyCollection<string> tags) =>
        Enabled
        && (MachineId.Length == 0 || MachineId == machineId)
        && (Tag.Length == 0 || tags.Contains(Tag));

    /// <summary>Whether <paramref name="value"/> breaks the rule (to fire) or, when <paramref name="firing"/>, still fails to clear it.</summary>
    public bool IsBad(double value, bool firing)
    {
        var limit = firing ? ClearThreshold ?? Threshold : Threshold;
        return Comparison == Comparison.Above ? value > limit : value < limit;
    }

    /// <summary>Why this rule cannot run, or null. Pure.</summary>
    public string? Problem()
    {
        if (Id.Length is 0 or > 64 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return "Rule ids are 1 to 64 letters, digits, '-', '_' and '.'.";
        }
        if (Name.Trim().Length is 0 or > 200 || Name.Any(char.IsControl))
        {
            return "Rule names are 1 to 200 characters without control characters.";
        }
        if (!AlertMetrics.All.ContainsKey(Metric))
        {
            return $"Unknown metric '{Metric}'. Metrics: {string.Join(", ", AlertMetrics.All.Keys)}.";
        }
        if (!double.IsFinite(Threshold) || ClearThreshold is { } clear && !double.IsFinite(clear))
        {
            return "Thresholds are finite numbers.";
        }
        if (ClearThreshold is { } c2 && (Comparison == Comparison.Above ? c2 > Threshold : c2 < Threshold))
        {
            return Comparison == Comparison.Above
                ? "The clearing threshold of an 'above' rule is at or below its threshold."
                : "The clearing threshold of a 'below' rule is at or above its threshold.";
        }
        if (!double.IsFinite(ForSeconds) || ForSeconds is < 0 or > 7 * 86400)
        {
            return "The duration is 0 to 7 days.";
        }
        return Instance.Length > 256 || Tag.Length > 40 || MachineId.Length > 128 ? "Instance, tag or machine id too long." : null;
    }
}
