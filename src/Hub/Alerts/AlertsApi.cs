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
        app.MapGet("/api/alerts", (AlertEngine engine, ClaimsPrincipal user) =>
            engine.Active(MachineAccess.Restriction(user)).OrderByDescending(a => a.Severity).ThenBy(a => a.Since));
        app.MapGet("/api/alerts/history", (AlertEngine engine, ClaimsPrincipal user, int? limit) =>
            engine.History(MachineAccess.Restriction(user)).Take(Math.Clamp(limit ?? 200, 1, AlertEngine.HistoryCapacity)));
        app.MapGet("/api/alerts/rules", (AlertEngine engine) => engine.Rules);
        return app;
    }
}
