using Microsoft.AspNetCore.Diagnostics.HealthChecks;
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
        app.UseDashboardFiles();
        app.MapGrpcService<AgentIngestService>();
        app.MapHub<MonitorHub>(HubNames.Path);
        app.MapMachinesApi();
        app.MapPrometheusMetrics();
        // Liveness: the process answers. Readiness: it can also reach what it depends on (Redis).
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapDashboardFallback();
        return app;
    }
}
