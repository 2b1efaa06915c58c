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

    /// <summary>Group of the viewers of one machine. The prefix keeps machine ids from colliding with other groups.</summary>
    public static string MachineGroup(string machineId) => "machine:" + machineId;
}
