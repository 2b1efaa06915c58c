using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SysMon.Hub.Ingest;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Realtime;

/// <summary>
/// Sends the fleet stream: every few seconds each hub sends one message with a record for each of
/// its own agents that changed, and an offline record for each that left. Viewers merge the messages
/// of all hubs, so the cost per hub grows with its agents, not with the fleet.
/// </summary>
public sealed class FleetPublisher(
    AgentSessions sessions,
    IHubContext<MonitorHub> hub,
    IOptions<HubOptions> options,
    ILogger<FleetPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(250, options.Value.FleetIntervalMs)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var (records, byTag) = Collect();
                if (records.Count == 0)
                {
                    continue;
                }
                try
                {
                    await hub.Clients.Group(HubNames.FleetGroup).SendAsync(HubNames.FleetMethod, records, stoppingToken);
                    foreach (var (tag, tagged) in byTag)
                    {
                        await hub.Clients.Group(HubNames.FleetTagGroup(tag)).SendAsync(HubNames.FleetMethod, tagged, stoppingToken);
                    }
                }
                catch (Exception ex) when (RedisOutage.Is(ex))
                {
                    logger.LogDebug("Fleet update not sent: {Error}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>The records for the fleet group, and the same records again per tag, for viewers restricted to tags.</summary>
    internal (List<FleetRecord> All, Dictionary<string, List<FleetRecord>> ByTag) Collect()
    {
        var records = new List<FleetRecord>();
        var byTag = new Dictionary<string, List<FleetRecord>>(StringComparer.Ordinal);
        void Add(FleetRecord record, IReadOnlyList<string> tags)
        {
            records.Add(record);
            foreach (var tag in tags)
            {
                (byTag.TryGetValue(tag, out var list) ? list : byTag[tag] = []).Add(record);
            }
        }
        foreach (var session in sessions.All)
        {
            if (session.Changed && session.Latest is { } latest)
            {
                session.Changed = false;
                Add(FleetRecord.From(session.MachineId, session.Hostname, online: true, latest), session.Tags);
            }
        }
        while (sessions.TryTakeDeparted(out var departed))
        {
            if (!sessions.All.Any(s => s.MachineId == departed.MachineId))
            {
                Add(FleetRecord.From(departed.MachineId, departed.Hostname, online: false, departed.Latest), departed.Tags);
            }
        }
        return (records, byTag);
    }
}
