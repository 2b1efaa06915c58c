using System.Security.Claims;
using SysMon.Hub.Accounts;

namespace SysMon.Hub.Alerts;

/// <summary>GET /api/alerts (firing now), /api/alerts/history (transitions, newest first), /api/alerts/rules.</summary>
public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        // Built now, so a bad rule in the configuration stops the hub at start with its id, not at the first sample.
        app.ServiceProvider.GetRequiredService<AlertEngine>();
        var alerts = app.MapGroup("/api/alerts").AddEndpointFilter(Registry.RedisOutageFilter.AsServiceUnavailable);
        alerts.MapGet("/", async (AlertEngine engine, ClaimsPrincipal user) =>
            (await engine.ActiveAsync(MachineAccess.Restriction(user))).OrderByDescending(a => a.Severity).ThenBy(a => a.At));
        alerts.MapGet("/history", async (AlertEngine engine, ClaimsPrincipal user, int? limit) =>
            await engine.HistoryAsync(Math.Clamp(limit ?? 200, 1, 10_000), MachineAccess.Restriction(user)));
        alerts.MapGet("/rules", (AlertEngine engine) => engine.Rules);
        // Delivery status only: channel URLs and secrets stay in the configuration.
        alerts.MapGet("/channels", (AlertNotifier notifier) => notifier.StatusAsync());
        alerts.MapPost("/channels/{id}/test", async (string id, AlertNotifier notifier, AccountAudit audit, HttpContext context) =>
        {
            if (notifier.Channels.FirstOrDefault(c => c.Id == id) is not { } channel)
            {
                return Results.Problem(statusCode: 404, title: "Unknown channel", detail: $"No channel '{id}' in Alerts:Channels.");
            }
            var error = await notifier.TestAsync(channel, context.RequestAborted);
            await audit.RecordAsync(context, "channel-tested", id, error ?? "delivered");
            return error is null
                ? Results.NoContent()
                : Results.Problem(statusCode: 502, title: "Test notification failed", detail: error);
        }).RequireAuthorization(Policies.Admin).RequireAntiforgeryHeader();
        return app;
    }
}
