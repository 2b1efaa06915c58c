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
    IHostApplicationLifetime lifetime,
    ILogger<HubDrain> logger) : IHostedLifecycleService
{
    /// <summary>
    /// Viewers: SignalR closes every connection when ApplicationStopping fires (a SIGTERM fires it at once),
    /// before any StoppingAsync. Cancellation callbacks run last-registered first, and SignalR registered
    /// its own while the endpoints were mapped, so this one, registered once the app has started, runs
    /// first: the reconnect message goes out while the connections are still open.
    /// </summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            // Never throw here: an exception in a stopping callback fails the whole shutdown.
            if (viewers.Count == 0)
            {
                return;
            }
            TellViewersAsync().ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(3));
            // A send completes when the message is queued, not when it is on the wire; SignalR tears the
            // transports down right after this callback, so give the queued messages a moment to leave.
            Thread.Sleep(TimeSpan.FromMilliseconds(500));
        });
        return Task.CompletedTask;
    }

    private Task TellViewersAsync()
    {
        logger.LogInformation("Draining: asking {Viewers} viewers to reconnect elsewhere", viewers.Count);
        return Task.WhenAll(viewers.ConnectionIds.Select(async id =>
        {
            try
            {
                // Clients.Client of a local connection is delivered directly, without the backplane (Redis may be down).
                await hub.Clients.Client(id).SendAsync(HubNames.ReconnectMethod).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex)
            {
                logger.LogDebug("Viewer {ConnectionId} not told to reconnect: {Error}", id, ex.Message);
            }
        }));
    }

    /// <summary>Agents: gRPC streams stay open until Kestrel stops, which happens after this.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Draining: asking {Agents} agents to reconnect elsewhere", sessions.Count);
        return sessions.DrainAsync(TimeSpan.FromSeconds(options.Value.DrainSeconds), cancellationToken);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
