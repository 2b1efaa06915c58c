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
        return app;
    }
}
