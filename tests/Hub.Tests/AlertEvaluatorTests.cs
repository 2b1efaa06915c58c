using SysMon.Hub.Alerts;
using SysMon.Protocol.V1;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Rules, metrics and the alert state machine: durations, hysteresis, gaps, replays, instances, scopes.</summary>
public sealed class AlertEvaluatorTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static readonly AlertRule HotCpu = new()
    {
        Id = "hot-cpu", Name = "CPU hot", Metric = "cpu_percent", Threshold = 90, ClearThreshold = 80, ForSeconds = 5,
    };

    /// <summary>Feeds one value per second from T0; returns each second's transition.</summary>
    private static List<TransitionKind?> Run(AlertRule rule, params double[] values)
    {
        AlertState? state = null;
        var transitions = new List<TransitionKind?>();
        for (var i = 0; i < values.Length; i++)
        {
            (state, var transition) = AlertEvaluator.Step(rule, state, values[i], T0.AddSeconds(i));
            transitions.Add(transition);
        }
        return transitions;
    }

    [Fact]
    public void ItFiresOnceTheConditionHeldForTheDurationAndNotBefore()
    {
        var transitions = Run(HotCpu, 95, 95, 95, 95, 95, 95, 95);
        Assert.Equal([null, null, null, null, null, TransitionKind.Fired, null], transitions);
    }

    [Fact]
    public void ADipWhilePendingStartsTheDurationOver()
    {
        var transitions = Run(HotCpu, 95, 95, 95, 50, 95, 95, 95, 95, 95, 95);
        Assert.Equal(TransitionKind.Fired, transitions[9]);
        Assert.Equal(1, transitions.Count(t => t is not null));
    }

    [Fact]
    public void ItResolvesOnlyBelowTheClearingThreshold()
    {
        // Fires at 5 s; 85 is under the threshold but above the clearing one: still firing; 79 clears.
        var transitions = Run(HotCpu, 95, 95, 95, 95, 95, 95, 85, 88, 85, 79, 85, 95);
        Assert.Equal([TransitionKind.Fired, TransitionKind.Resolved], transitions.Where(t => t is not null));
        Assert.Equal(TransitionKind.Resolved, transitions[9]);
    }

    [Fact]
    public void ALongSilenceWhilePendingStartsTheDurationOver()
    {
        var (state, _) = AlertEvaluator.Step(HotCpu, null, 95, T0);
        (state, _) = AlertEvaluator.Step(HotCpu, state, 95, T0.AddSeconds(4));
        var (afterGap, transition) = AlertEvaluator.Step(HotCpu, state, 95, T0.AddMinutes(3));
        Assert.Null(transition);
        Assert.Equal(AlertPhase.Pending, afterGap!.Phase);
        Assert.Equal(T0.AddMinutes(3), afterGap.Since);
    }

    [Fact]
    public void AReplayedOlderSampleChangesNothing()
    {
        var (state, _) = AlertEvaluator.Step(HotCpu with { ForSeconds = 0 }, null, 95, T0.AddSeconds(10));
        var (same, transition) = AlertEvaluator.Step(HotCpu with { ForSeconds = 0 }, state, 10, T0.AddSeconds(5));
        Assert.Same(state, same);
        Assert.Null(transition);
    }

    [Fact]
    public void BelowRulesFireOnLowValues()
    {
        var lowMemory = new AlertRule
        {
            Id = "low-mem", Name = "Memory low", Metric = "memory_available_percent", Comparison = Comparison.Below,
            Threshold = 10, ClearThreshold = 15,
        };
        Assert.Equal([TransitionKind.Fired, null, TransitionKind.Resolved], Run(lowMemory, 5, 12, 16));
    }

    private static Sample Disks(DateTimeOffset at, params (string Mount, double UsedPercent)[] mounts)
    {
        var sample = new Sample { TimestampUnixMs = at.ToUnixTimeMilliseconds(), Cpu = new CpuSample { TotalPercent = 97, CorePercent = { 10, 99 } } };
        foreach (var (mount, used) in mounts)
        {
            sample.Filesystems.Add(new FilesystemSample { MountPoint = mount, TotalBytes = 1000, UsedBytes = (ulong)(used * 10) });
        }
        return sample;
    }

    [Fact]
    public void EachInstanceIsItsOwnAlertAndAnInstanceCanBeChosen()
    {
        var full = new AlertRule { Id = "full", Name = "Disk full", Metric = "disk_used_percent", Threshold = 90 };
        var states = new Dictionary<AlertKey, AlertState?>();
        var (changes, transitions) = AlertEvaluator.Evaluate([full, full with { Id = "var-full", Instance = "/var" }], "m1", [],
            Disks(T0, ("/", 95), ("/var", 99), ("/home", 20)), key => states.GetValueOrDefault(key));

        Assert.Equal(["full m1 /", "full m1 /var", "var-full m1 /var"],
            transitions.Select(t => $"{t.RuleId} {t.MachineId} {t.Instance}").Order());
        Assert.Equal(3, changes.Count);
    }

    [Fact]
    public void RulesApplyToTheirScopeOnly()
    {
        AlertRule[] rules =
        [
            HotCpu with { Id = "all", ForSeconds = 0 },
            HotCpu with { Id = "prod", ForSeconds = 0, Tag = "prod" },
            HotCpu with { Id = "m2", ForSeconds = 0, MachineId = "m2" },
            HotCpu with { Id = "off", ForSeconds = 0, Enabled = false },
            new() { Id = "core", Name = "a core", Metric = "cpu_core_percent", Threshold = 95 },
        ];
        var (_, transitions) = AlertEvaluator.Evaluate(rules, "m1", ["prod"], Disks(T0), _ => null);
        Assert.Equal(["all", "core", "prod"], transitions.Select(t => t.RuleId).Order());
        Assert.Equal("cpu1", transitions.Single(t => t.RuleId == "core").Instance);
    }

    [Fact]
    public void AFilesystemUnmountedWhileFullResolvesOnceItHasBeenGoneLongerThanACollectorHiccup()
    {
        var full = new AlertRule { Id = "full", Name = "Disk full", Metric = "disk_used_percent", Threshold = 90 };

        // Replayed as the engine evaluates: states kept between samples.
        var (transitions, _) = AlertBacktest.Replay(full, "m1", [],
        [
            Disks(T0, ("/", 50), ("/mnt/usb", 99)),
            Disks(T0.AddSeconds(60), ("/", 50)), // gone for a minute: a failed read looks the same, so keep firing
            Disks(T0.AddSeconds(121), ("/", 50)),
        ]);

        Assert.Equal([(TransitionKind.Fired, "/mnt/usb", T0), (TransitionKind.Resolved, "/mnt/usb", T0.AddSeconds(121))],
            transitions.Select(t => (t.Kind, t.Instance, t.At)));
        Assert.Equal(99, transitions[1].Value); // the last value seen
    }

    [Fact]
    public void AnAlertWhoseRuleWasDeletedDisabledOrNarrowedResolvesAtTheNextSample()
    {
        var rule = HotCpu with { ForSeconds = 0 };
        foreach (var after in new AlertRule[]?[] { null, [rule with { Enabled = false }], [rule with { Tag = "db" }] })
        {
            var firing = new AlertState(AlertPhase.Firing, T0, 97, T0);
            var (changes, transitions) = AlertEvaluator.Evaluate(after ?? [], "m1", ["web"], Disks(T0.AddSeconds(1)),
                _ => firing, [(new AlertKey(rule.Id, "m1", ""), firing)]);
            Assert.Equal((TransitionKind.Resolved, 97.0), (Assert.Single(transitions).Kind, transitions[0].Value));
            Assert.Null(Assert.Single(changes).State);
        }
    }

    [Fact]
    public void TheOfflineAlertIsNotEndedBySamplesThatDoNotMentionIt()
    {
        var offline = new AlertRule { Id = "machine-offline", Name = "offline", Metric = AlertMetrics.SecondsSinceLastSample, Threshold = 60 };
        var firing = new AlertState(AlertPhase.Firing, T0, 75, T0);
        var (changes, transitions) = AlertEvaluator.Evaluate([offline], "m1", [], Disks(T0.AddMinutes(10)),
            _ => null, [(new AlertKey(offline.Id, "m1", ""), firing)]);
        Assert.Empty(changes);
        Assert.Empty(transitions);
    }

    [Fact]
    public void NaNAndInfinityAreNotValues()
    {
        var sample = new Sample { Cpu = new CpuSample { TotalPercent = double.NaN, Load1M = double.PositiveInfinity } };
        Assert.Empty(AlertMetrics.Read("cpu_percent", sample));
        Assert.Empty(AlertMetrics.Read("load1", sample));
        Assert.Empty(AlertMetrics.Read("no_such_metric", sample));
    }

    [Theory]
    [InlineData("cpu_percen", null, "Unknown metric")]
    [InlineData("cpu_percent", 95.0, "clearing threshold of an 'above' rule")]
    [InlineData("cpu_percent", 80.0, null)]
    public void RulesAreChecked(string metric, double? clear, string? problem)
    {
        var rule = HotCpu with { Metric = metric, ClearThreshold = clear };
        if (problem is null)
        {
            Assert.Null(rule.Problem());
        }
        else
        {
            Assert.Contains(problem, rule.Problem(), StringComparison.Ordinal);
        }
    }
}

public sealed class AlertMessageTests
{
    private static (string, AlertEvent) Event(string machine, string rule = "CPU hot", Severity severity = Severity.Warning) =>
        (machine + "-id", new AlertEvent("r", rule, severity, machine, "", TransitionKind.Fired, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), 95.5, []));

    [Fact]
    public void OneEventIsNamedAndManyAreCounted()
    {
        Assert.Equal("[FIRING] CPU hot on web-1", new AlertMessage(TransitionKind.Fired, [Event("web-1")]).Title);
        var many = new AlertMessage(TransitionKind.Fired, [Event("web-1"), Event("web-2"), Event("db-1", "Disk nearly full")]);
        Assert.Equal("[FIRING] 3 alerts: CPU hot, Disk nearly full", many.Title);
        Assert.Equal(3, many.Text.Split('\n').Length);
        Assert.Contains("Warning CPU hot: web-2 = 95.5 at 2027-01-15 08:00:00Z", many.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSignatureIsTheHmacOfTheBody() =>
        // echo -n '{"a":1}' | openssl dgst -sha256 -hmac secret
        Assert.Equal("sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494",
            AlertChannelSender.Signature("secret", "{\"a\":1}"u8.ToArray()));

    [Theory]
    [InlineData("", "https://x.example", "1 to 64")]
    [InlineData("ops", "ftp://x.example", "http(s) URL")]
    [InlineData("ops", "not a url", "http(s) URL")]
    [InlineData("ops", "https://hooks.example/x", null)]
    public void ChannelsAreChecked(string id, string url, string? problem)
    {
        var error = new ChannelSettings { Id = id, Url = url }.Problem();
        if (problem is null)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains(problem, error, StringComparison.Ordinal);
        }
    }
}

public sealed class SilenceAndQuietHoursTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 23, 30, 0, TimeSpan.Zero);

    private static AlertEvent Event(string rule = "cpu", string machine = "m1", Severity severity = Severity.Warning, params string[] tags) =>
        new(rule, rule, severity, machine, "", TransitionKind.Fired, Now, 95, tags);

    [Fact]
    public void ASilenceMatchesWhenEveryFieldItSetsMatchesAndOnlyWhileItLasts()
    {
        var silence = new AlertSilence { Id = "s", MachineId = "m1", Tag = "prod", StartsAt = Now.AddHours(-1), EndsAt = Now.AddHours(1) };
        Assert.True(silence.Matches(Event(tags: ["prod"]), Now));
        Assert.False(silence.Matches(Event(tags: ["dev"]), Now));
        Assert.False(silence.Matches(Event(machine: "m2", tags: ["prod"]), Now));
        Assert.False(silence.Matches(Event(tags: ["prod"]), Now.AddHours(2)));
        Assert.False(silence.Matches(Event(tags: ["prod"]), Now.AddHours(-2)));
        Assert.True((silence with { MachineId = "", Tag = "", RuleId = "cpu" }).Matches(Event(machine: "any"), Now));
    }

    [Theory]
    [InlineData("22:00", "07:00", 23, 30, Severity.Warning, true)]   // wraps past midnight
    [InlineData("22:00", "07:00", 6, 59, Severity.Warning, true)]
    [InlineData("22:00", "07:00", 7, 0, Severity.Warning, false)]
    [InlineData("22:00", "07:00", 23, 30, Severity.Critical, false)] // severe enough to wake someone
    [InlineData("09:00", "17:00", 12, 0, Severity.Info, true)]
    [InlineData("09:00", "17:00", 18, 0, Severity.Info, false)]
    public void QuietHoursMuteLessSevereEventsBetweenStartAndEnd(string start, string end, int hour, int minute, Severity severity, bool muted)
    {
        var quiet = new QuietHours { Start = TimeOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), End = TimeOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture) };
        Assert.Equal(muted, quiet.Mutes(severity, new DateTimeOffset(2026, 12, 2, hour, minute, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void QuietHoursFollowTheirTimeZone()
    {
        // 23:30 UTC is 00:30 in Berlin in December (UTC+1): inside 00:00–06:00 there, outside it in UTC.
        var quiet = new QuietHours { Start = new TimeOnly(0, 0), End = new TimeOnly(6, 0), TimeZone = "Europe/Berlin" };
        Assert.True(quiet.Mutes(Severity.Warning, Now));
        Assert.False((new QuietHours { Start = new TimeOnly(0, 0), End = new TimeOnly(6, 0) }).Mutes(Severity.Warning, Now));
        Assert.NotNull(new QuietHours { Start = new TimeOnly(0, 0), End = new TimeOnly(6, 0), TimeZone = "Mars/Olympus" }.Problem());
        Assert.NotNull(new QuietHours { Start = new TimeOnly(0, 0) }.Problem());
        Assert.False(new QuietHours().Mutes(Severity.Info, Now)); // none configured
    }

    [Theory]
    [InlineData("smtp.example.org", "sysmon@example.org", "ops@example.org", null)]
    [InlineData("", "sysmon@example.org", "ops@example.org", "needs SmtpHost")]
    [InlineData("smtp.example.org", "not an address", "ops@example.org", "From must be")]
    [InlineData("smtp.example.org", "sysmon@example.org", "", "To must list")]
    public void EmailChannelsNeedAServerASenderAndRecipients(string host, string from, string to, string? problem)
    {
        var error = new ChannelSettings { Id = "mail", Kind = ChannelKind.Email, SmtpHost = host, From = from, To = to.Length == 0 ? [] : [to] }.Problem();
        if (problem is null)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains(problem, error, StringComparison.Ordinal);
        }
    }
}

public sealed class AlertStoreTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public async Task RemindersComeEveryPeriodAndAcknowledgementsEndWithTheAlert()
    {
        var store = new InMemoryAlertStore(new InMemoryAlertOutbox());
        var fired = new AlertEvent("cpu", "CPU", Severity.Warning, "m1", "", TransitionKind.Fired, T0, 95, []);
        Assert.True(await store.CommitAsync("m1", "cpu\n", "", "{}", fired));
        var field = "m1\ncpu\n";
        var hour = TimeSpan.FromHours(1);

        Assert.False(await store.ClaimReminderAsync(field, T0, T0.AddMinutes(59), hour));
        Assert.True(await store.ClaimReminderAsync(field, T0, T0.AddMinutes(60), hour));
        Assert.False(await store.ClaimReminderAsync(field, T0, T0.AddMinutes(90), hour)); // counted from the last reminder
        Assert.True(await store.ClaimReminderAsync(field, T0, T0.AddMinutes(120), hour));

        Assert.True(await store.AcknowledgeAsync(field, new Acknowledgement("alice", T0)));
        Assert.Equal("alice", (await store.AcknowledgementsAsync())[field].By);
        Assert.False(await store.AcknowledgeAsync("m2\ncpu\n", new Acknowledgement("alice", T0))); // not firing

        Assert.True(await store.CommitAsync("m1", "cpu\n", "{}", null, fired with { Kind = TransitionKind.Resolved }));
        Assert.Empty(await store.AcknowledgementsAsync());
        Assert.True(await store.ClaimReminderAsync(field, T0.AddMinutes(200), T0.AddMinutes(260), hour)); // a new firing starts afresh
    }
}
