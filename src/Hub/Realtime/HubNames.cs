namespace SysMon.Hub.Realtime;

/// <summary>
/// Every name a SignalR client sees, in one place: the dashboard's hub.ts and third-party clients
/// depend on these strings, so they change only together with docs/protocol.md.
/// </summary>
public static class HubNames
{
    /// <summary>Path of the SignalR hub.</summary>
    public const string Path = "/hubs/monitor";

    /// <summary>Server → client: one live sample of a subscribed machine.</summary>
    public const string SampleMethod = "sample";

    /// <summary>Server → client: a sample that arrives late (replayed by an agent after an outage): history, not a live point.</summary>
    public const string BackfillMethod = "backfill";

    /// <summary>Server → client: an array of compact per-machine summaries, every few seconds, for fleet viewers.</summary>
    public const string FleetMethod = "fleet";

    /// <summary>Server → client: this hub is shutting down; connect again (through the load balancer) and re-subscribe.</summary>
    public const string ReconnectMethod = "reconnect";

    /// <summary>Group of the fleet viewers.</summary>
    public const string FleetGroup = "fleet";

    /// <summary>
    /// Group of the fleet viewers restricted to a tag: they get only the records of machines carrying it,
    /// instead of the whole <see cref="FleetGroup"/>.
    /// </summary>
    public static string FleetTagGroup(string tag) => "fleet-tag:" + tag;

    /// <summary>Group of the viewers of one machine. The prefix keeps machine ids from colliding with other groups.</summary>
    public static string MachineGroup(string machineId) => "machine:" + machineId;
}
