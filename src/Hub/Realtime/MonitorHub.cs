using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SysMon.Hub.Accounts;
using SysMon.Hub.Observability;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Realtime;

/// <summary>
/// The viewers' SignalR hub. A viewer subscribes to the machines it shows and receives their samples;
/// with the Redis backplane a viewer on any hub receives samples ingested by any other hub.
/// </summary>
public sealed class MonitorHub(
    IMachineRegistry registry,
    LocalViewers viewers,
    ViewerSessions sessions,
    HubMetrics metrics,
    IOptions<HubOptions> options,
    TimeProvider time,
    ILogger<MonitorHub> logger) : Microsoft.AspNetCore.SignalR.Hub
{
    public override async Task OnConnectedAsync()
    {
        viewers.Add(Context.ConnectionId);
        metrics.ViewerConnected();
        await sessions.TrackAsync(Context);
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        viewers.Remove(Context.ConnectionId);
        sessions.Forget(Context.ConnectionId);
        metrics.ViewerDisconnected();
        return Task.CompletedTask;
    }

    /// <summary>Starts sending <c>fleet</c> updates; sends a record of every known machine at once.</summary>
    public async Task SubscribeFleet()
    {
        var restriction = MachineAccess.Restriction(Context.User!);
        foreach (var group in FleetGroups(restriction))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, group, Context.ConnectionAborted);
        }
        List<FleetRecord> snapshot;
        try
        {
            snapshot = await FleetRecord.SnapshotAsync(registry, time.GetUtcNow(), options.Value.OfflineAfter, restriction);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            logger.LogWarning("Could not read the fleet for a new fleet viewer: {Error}", ex.Message);
            return;
        }
        await Clients.Caller.SendAsync(HubNames.FleetMethod, snapshot, Context.ConnectionAborted);
    }

    /// <summary>Stops the fleet updates to this viewer.</summary>
    public async Task UnsubscribeFleet()
    {
        foreach (var group in FleetGroups(MachineAccess.Restriction(Context.User!)))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, group, Context.ConnectionAborted);
        }
    }

    /// <summary>The whole fleet's group, or one group per tag for a viewer restricted to tags.</summary>
    private static IEnumerable<string> FleetGroups(IReadOnlySet<string>? restriction) =>
        restriction is null ? [HubNames.FleetGroup] : restriction.Select(HubNames.FleetTagGroup);

    /// <summary>Starts sending <c>sample</c> messages of <paramref name="machineId"/>; sends its last known sample at once.</summary>
    public async Task Subscribe(string machineId)
    {
        EnsureValid(machineId);
        if (MachineAccess.Restriction(Context.User!) is { } restriction)
        {
            MachineRecord? machine;
            try
            {
                machine = await registry.GetAsync(machineId);
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                throw new HubException("Cannot check which machines you may see right now (Redis unavailable); retry shortly.");
            }
            if (machine is null || !MachineAccess.CanSee(restriction, machine.Hello.Tags))
            {
                // The same answer for a machine that does not exist: a restricted viewer learns nothing of the others.
                throw new HubException($"Unknown machine '{machineId}'.");
            }
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, HubNames.MachineGroup(machineId), Context.ConnectionAborted);
        Sample? last;
        try
        {
            last = await registry.LastSampleAsync(machineId);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            // The subscription stands; the viewer just waits for the next live sample.
            logger.LogWarning(ex, "Could not read the last sample of {MachineId}", machineId);
            return;
        }
        if (last is not null)
        {
            // An opened machine shows a value at once instead of an empty page for one interval.
            await Clients.Caller.SendAsync(HubNames.SampleMethod, new LiveSample(machineId, last), Context.ConnectionAborted);
        }
    }

    /// <summary>Stops sending samples of <paramref name="machineId"/> to this viewer.</summary>
    public Task Unsubscribe(string machineId)
    {
        EnsureValid(machineId);
        return Groups.RemoveFromGroupAsync(Context.ConnectionId, HubNames.MachineGroup(machineId), Context.ConnectionAborted);
    }

    private static void EnsureValid(string machineId)
    {
        if (!MachineId.IsValid(machineId))
        {
            throw new HubException($"Invalid machine id: {MachineId.Rule}.");
        }
    }
}
