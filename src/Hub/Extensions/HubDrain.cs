using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SysMon.Hub.Ingest;
using SysMon.Hub.Realtime;

namespace SysMon.Hub.Extensions;

/// <summary>
/// A hub that is shutting down first tells its agents (gRPC Reconnect) and its viewers (SignalR
/// <c>reconnect</c>) to go to another hub, and waits a few seconds for the agents to leave, before
/// Kestrel stops: a rolling restart then loses nothing and shows no gap.
/// </summary>
public sealed class HubDrain(
    AgentSessions sessions,
    LocalViewers viewers,
    IHubContext<MonitorHub> hub,
    IOptions<HubOptions> options,
    ILogger<HubDrain> logger) : IHostedLifecycleService
{
    // Runs before any hosted service's StopAsync, Kestrel's included, so connections are still open.
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Draining: asking {Agents} agents and {Viewers} viewers to reconnect elsewhere", sessions.Count, viewers.Count);
        var tellViewers = Task.WhenAll(viewers.ConnectionIds.Select(async id =>
        {
            try
            {
                // Clients.Client of a local connection is delivered directly, without the backplane (Redis may be down).
                await hub.Clients.Client(id).SendAsync(HubNames.ReconnectMethod, cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogDebug("Viewer {ConnectionId} not told to reconnect: {Error}", id, ex.Message);
            }
        }));
        await sessions.DrainAsync(TimeSpan.FromSeconds(options.Value.DrainSeconds), cancellationToken);
        await tellViewers;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
