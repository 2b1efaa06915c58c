using Microsoft.AspNetCore.SignalR;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Realtime;

/// <summary>Sends an ingested sample to the viewers of its machine, on every hub (through the backplane when Redis is configured).</summary>
public sealed class SampleBroadcaster(IHubContext<MonitorHub> hub)
{
    /// <param name="live">False for replayed or late samples, sent as <see cref="HubNames.BackfillMethod"/>.</param>
    public Task PublishAsync(string machineId, Sample sample, bool live, CancellationToken cancellationToken) =>
        hub.Clients.Group(HubNames.MachineGroup(machineId))
            .SendAsync(live ? HubNames.SampleMethod : HubNames.BackfillMethod, new LiveSample(machineId, sample), cancellationToken);
}
