using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using SysMon.Hub.Accounts;
using SysMon.Hub.Alerts;
using SysMon.Hub.Api;
using SysMon.Hub.Dashboard;
using SysMon.Hub.Ingest;
using SysMon.Hub.Observability;
using SysMon.Hub.Realtime;

namespace SysMon.Hub.Extensions;

/// <summary>Everything the hub serves, by endpoint.</summary>
public static class HubEndpointExtensions
{
    public static WebApplication MapHubEndpoints(this WebApplication app)
    {
        // The dashboard's files hold no data (it asks the API, which checks who asks), so they are served
        // before authentication: the sign-in form is part of them.
        app.UseDashboardFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        // Agents authenticate on the stream itself (AgentAuthenticator), not as people.
        app.MapGrpcService<AgentIngestService>().AllowAnonymous();
        app.MapHub<MonitorHub>(HubNames.Path, hub => hub.CloseOnAuthenticationExpiration = true).RequireAuthorization(Policies.Viewer);
        app.MapSessionApi();
        app.MapAdminApi();
        app.MapMachinesApi();
        app.MapAlertsApi();
        app.MapPrometheusMetrics();
        // Liveness: the process answers. Readiness: it can also reach what it depends on (Redis). Both open to probes.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        app.MapDashboardFallback();
        return app;
    }
}
