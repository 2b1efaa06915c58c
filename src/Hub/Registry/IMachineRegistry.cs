using SysMon.Protocol.V1;

namespace SysMon.Hub.Registry;

/// <summary>
/// Every machine any hub has seen: who it is, whether a stream is open, its last sample.
/// With Redis it is shared by all hubs; without, it lives in this process.
/// </summary>
public interface IMachineRegistry
{
    /// <summary>Records that <paramref name="connectionId"/> now streams for the machine of <paramref name="hello"/>.</summary>
    Task ConnectedAsync(Hello hello, string connectionId, string hubInstance, DateTimeOffset now);

    /// <summary>Marks the machine seen and keeps <paramref name="sample"/> as its latest unless a newer one is already kept (a replay is older).</summary>
    Task SampleAsync(string machineId, Sample sample, DateTimeOffset now);

    /// <summary>Marks the machine disconnected, unless another stream took it over meanwhile.</summary>
    Task DisconnectedAsync(string machineId, string connectionId);

    /// <summary>All machines, in no particular order; with their latest sample when <paramref name="withLastSample"/>.</summary>
    Task<IReadOnlyList<MachineRecord>> ListAsync(bool withLastSample = false);

    /// <summary>One machine, or null when no hub has seen it.</summary>
    Task<MachineRecord?> GetAsync(string machineId, bool withLastSample = false);

    /// <summary>The machine's latest sample, or null when none is known.</summary>
    Task<Sample?> LastSampleAsync(string machineId);
}

/// <summary>What the registry knows of one machine.</summary>
public sealed record MachineRecord(Hello Hello, DateTimeOffset? LastSeen, bool Connected, Sample? LastSample = null)
{
    public string Id => Hello.MachineId;

    /// <summary>Online: a stream is open and it spoke recently. The time check catches a hub that died without saying so.</summary>
    public bool IsOnline(DateTimeOffset now, TimeSpan offlineAfter) =>
        Connected && LastSeen is { } seen && now - seen <= offlineAfter;
}
