using Microsoft.AspNetCore.SignalR;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Realtime;

/// <summary>Sends an ingested sample to the viewers of its machine, on every hub (through the backplane when Redis is configured).</summary>
public sealed class SampleBroadcaster(IHubContext<MonitorHub> hub)
{
    public Task PublishAsync(string machineId, Sample sample, CancellationToken cancellationToken) =>
        hub.Clients.Group(HubNames.MachineGroup(machineId))
            .SendAsync(HubNames.SampleMethod, new LiveSample(machineId, sample), cancellationToken);
}
