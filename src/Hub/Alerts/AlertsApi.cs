using System.Security.Claims;
using SysMon.Hub.Accounts;
using SysMon.Hub.History;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Alerts;

/// <summary>GET /api/alerts (firing now), /api/alerts/history (transitions, newest first), /api/alerts/rules.</summary>
public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        // Built now, so a bad rule in the configuration stops the hub at start with its id, not at the first sample.
        app.ServiceProvider.GetRequiredService<AlertEngine>();
        var alerts = app.MapGroup("/api/alerts").AddEndpointFilter(Registry.RedisOutageFilter.AsServiceUnavailable);
        alerts.MapGet("/", async (AlertEngine engine, IAlertSilences silences, IAlertStore store, TimeProvider time, ClaimsPrincipal user) =>
        {
            var now = time.GetUtcNow();
            var active = await silences.ListAsync();
            var acks = await store.AcknowledgementsAsync();
            return (await engine.ActiveAsync(MachineAccess.Restriction(user))).OrderByDescending(a => a.Severity).ThenBy(a => a.At)
                .Select(a => new
                {
                    a.RuleId, a.RuleName, a.Severity, a.MachineId, a.Instance, a.Kind, a.At, a.Value, a.MachineTags,
                    silenced = active.Any(s => s.Matches(a, now)),
                    acknowledged = acks.GetValueOrDefault(AlertJson.FiringField(a)),
                });
        });
        // Anyone signed in who can see the machine may say they are on it; reminders stop until it resolves.
        alerts.MapPost("/acknowledge", async (AcknowledgeRequest request, IAlertStore store, AlertEngine engine, AccountAudit audit,
            HttpContext context, TimeProvider time) =>
        {
            var firing = (await engine.ActiveAsync(MachineAccess.Restriction(context.User)))
                .FirstOrDefault(a => a.RuleId == request.RuleId && a.MachineId == request.MachineId && a.Instance == (request.Instance ?? ""));
            if (firing is null || !await store.AcknowledgeAsync(AlertJson.FiringField(firing),
                    new Acknowledgement(context.User.Identity?.Name ?? "", time.GetUtcNow())))
            {
                return Results.Problem(statusCode: 404, title: "Not firing", detail: "No such alert is firing (it may have resolved).");
            }
            await audit.RecordAsync(context, AuditActions.AlertAcknowledged, $"{firing.RuleId} {firing.MachineId} {firing.Instance}".Trim());
            return Results.NoContent();
        }).RequireAntiforgeryHeader();
        alerts.MapGet("/history", async (AlertEngine engine, ClaimsPrincipal user, int? limit) =>
            await engine.HistoryAsync(Math.Clamp(limit ?? 200, 1, 10_000), MachineAccess.Restriction(user)));
        alerts.MapGet("/rules", (AlertEngine engine) =>
        {
            var configured = engine.ConfiguredRules.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            return engine.Rules.Select(r => new { rule = r, editable = !configured.Contains(r.Id) });
        });
        alerts.MapGet("/metrics", () => AlertMetrics.All.Values.Select(m => new { m.Name, m.Description, m.InHistory }));
        alerts.MapPost("/rules/test", TestRuleAsync).RequireAuthorization(Policies.Admin).RequireAntiforgeryHeader();
        alerts.MapPost("/rules", SaveRuleAsync).RequireAuthorization(Policies.Admin).RequireAntiforgeryHeader();
        alerts.MapDelete("/rules/{id}", async (string id, AlertEngine engine, IAlertRuleStore rules, AccountAudit audit, HttpContext context) =>
        {
            if (engine.ConfiguredRules.Any(r => r.Id == id))
            {
                return Results.Problem(statusCode: 409, title: "Configured rule", detail: $"'{id}' comes from configuration; change it there.");
            }
            if (!await rules.DeleteAsync(id))
            {
                return Results.Problem(statusCode: 404, title: "Unknown rule");
            }
            await engine.RefreshRulesAsync();
            await audit.RecordAsync(context, AuditActions.RuleDeleted, id);
            return Results.NoContent();
        }).RequireAuthorization(Policies.Admin).RequireAntiforgeryHeader();
        alerts.MapGet("/silences", (IAlertSilences silences) => silences.ListAsync());
        alerts.MapPost("/silences", CreateSilenceAsync).RequireAuthorization(Policies.Admin).RequireAntiforgeryHeader();
        alerts.MapDelete("/silences/{id}", async (string id, IAlertSilences silences, AccountAudit audit, HttpContext context) =>
        {
            if (!await silences.RemoveAsync(id))
            {
                return Results.Problem(statusCode: 404, title: "Unknown silence");
            }
            await audit.RecordAsync(context, AuditActions.SilenceRemoved, id);
            return Results.NoContent();
        }).RequireAuthorization(Policies.Admin).RequireAntiforgeryHeader();
        // Delivery status only: channel URLs and secrets stay in the configuration.
        alerts.MapGet("/channels", (AlertNotifier notifier) => notifier.StatusAsync());
        alerts.MapPost("/channels/{id}/test", async (string id, AlertNotifier notifier, AccountAudit audit, HttpContext context) =>
        {
            if (notifier.Channels.FirstOrDefault(c => c.Id == id) is not { } channel)
            {
                return Results.Problem(statusCode: 404, title: "Unknown channel", detail: $"No channel '{id}' in Alerts:Channels.");
            }
            var error = await notifier.TestAsync(channel, context.RequestAborted);
            await audit.RecordAsync(context, AuditActions.ChannelTested, id, error ?? "delivered");
            return error is null
                ? Results.NoContent()
                : Results.Problem(statusCode: 502, title: "Test notification failed", detail: error);
        }).RequireAuthorization(Policies.Admin).RequireAntiforgeryHeader();
        return app;
    }

    public sealed record AcknowledgeRequest(string? RuleId, string? MachineId, string? Instance);

    public sealed record NewSilence(string? RuleId, string? MachineId, string? Tag, double Minutes, string? Comment);

    private static async Task<IResult> CreateSilenceAsync(NewSilence request, IAlertSilences silences, AccountAudit audit, HttpContext context, TimeProvider time)
    {
        var (rule, machine, tag, comment) = ((request.RuleId ?? "").Trim(), (request.MachineId ?? "").Trim(), (request.Tag ?? "").Trim().ToLowerInvariant(),
            (request.Comment ?? "").Trim());
        if (rule.Length + machine.Length + tag.Length == 0)
        {
            return Results.Problem(statusCode: 400, title: "Nothing to silence", detail: "Name a rule, a machine or a tag (or several: all must match).");
        }
        if (!(request.Minutes > 0 && request.Minutes <= 30 * 24 * 60))
        {
            return Results.Problem(statusCode: 400, title: "Invalid duration", detail: "Silences last 1 minute to 30 days.");
        }
        if (rule.Length > 64 || machine.Length > 128 || tag.Length > 40 || comment.Length > 200 || (rule + machine + tag + comment).Any(char.IsControl))
        {
            return Results.Problem(statusCode: 400, title: "Invalid silence", detail: "Rule, machine, tag or comment too long, or with control characters.");
        }
        var now = time.GetUtcNow();
        var silence = new AlertSilence
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)),
            RuleId = rule, MachineId = machine, Tag = tag, StartsAt = now, EndsAt = now.AddMinutes(request.Minutes),
            CreatedBy = context.User.Identity?.Name ?? "", Comment = comment,
        };
        await silences.AddAsync(silence);
        await audit.RecordAsync(context, AuditActions.SilenceCreated, silence.Id,
            $"rule '{rule}' machine '{machine}' tag '{tag}' for {request.Minutes:0.#} min; {comment}");
        return Results.Created($"/api/alerts/silences/{silence.Id}", silence);
    }

    public sealed record RuleTest(AlertRule? Rule, double? Minutes);

    /// <summary>"Would have fired at …": the rule, saved or not, replayed over the last minutes of history of the machines it covers.</summary>
    private static async Task<IResult> TestRuleAsync(RuleTest request, IMachineRegistry registry, IHistoryStore history,
        Microsoft.Extensions.Options.IOptions<HistoryOptions> historyOptions, TimeProvider time, HttpContext context)
    {
        if (request.Rule is not { } rule)
        {
            return Results.Problem(statusCode: 400, title: "Invalid rule", detail: "Send {rule: {...}, minutes}.");
        }
        if (rule.Problem() is { } problem)
        {
            return Results.Problem(statusCode: 400, title: "Invalid rule", detail: problem);
        }
        if (!AlertMetrics.All[rule.Metric].InHistory)
        {
            return Results.Problem(statusCode: 422, title: "Not in history",
                detail: $"History does not keep '{rule.Metric}', so this rule cannot be tried on the past; it is evaluated on live samples only.");
        }
        var maxMinutes = historyOptions.Value.CoarseRetentionSeconds / 60.0;
        var minutes = request.Minutes ?? 60;
        if (!(minutes >= 1 && minutes <= maxMinutes))
        {
            return Results.Problem(statusCode: 400, title: "Invalid window", detail: $"Test 1 to {maxMinutes:0} minutes of history.");
        }
        var machines = (await registry.ListAsync()).Visible(MachineAccess.Restriction(context.User));
        return Results.Ok(await AlertBacktest.RunAsync(rule, machines, history, historyOptions.Value, time.GetUtcNow(),
            TimeSpan.FromMinutes(minutes), context.RequestAborted));
    }

    /// <summary>Creates or replaces a stored rule (enable or disable it with its Enabled field); configured rules are refused.</summary>
    private static async Task<IResult> SaveRuleAsync(AlertRule rule, AlertEngine engine, IAlertRuleStore rules, AccountAudit audit, HttpContext context)
    {
        if (rule.Problem() is { } problem)
        {
            return Results.Problem(statusCode: 400, title: "Invalid rule", detail: problem);
        }
        if (engine.ConfiguredRules.Any(r => r.Id == rule.Id))
        {
            return Results.Problem(statusCode: 409, title: "Configured rule", detail: $"'{rule.Id}' comes from configuration; change it there.");
        }
        await rules.SaveAsync(rule);
        await engine.RefreshRulesAsync();
        await audit.RecordAsync(context, AuditActions.RuleSaved, rule.Id,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{rule.Metric} {rule.Comparison} {rule.Threshold} for {rule.ForSeconds} s, {rule.Severity}{(rule.Enabled ? "" : ", disabled")}"));
        return Results.Ok(rule);
    }
}
