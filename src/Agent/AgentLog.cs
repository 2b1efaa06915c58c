using Microsoft.Extensions.Logging;

namespace SysMon.Agent;

// One catalogue of the agent's log events, so their ids and levels are decided in one place. Not nested in
// the classes that log because several of them share events.
internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Warning, "Collector {Collector} failed; its metrics are left out until it works again.", EventName = "CollectorFailed")]
    public static partial void CollectorFailed(ILogger logger, string collector, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "Collector {Collector} works again.", EventName = "CollectorRecovered")]
    public static partial void CollectorRecovered(ILogger logger, string collector);

    [LoggerMessage(10, LogLevel.Information, "Connected to hub {HubUrl} as {MachineId}.", EventName = "Connected")]
    public static partial void Connected(ILogger logger, string hubUrl, string machineId);

    [LoggerMessage(11, LogLevel.Warning, "Disconnected from hub {HubUrl}: {Reason}", EventName = "Disconnected")]
    public static partial void Disconnected(ILogger logger, string hubUrl, string reason);

    [LoggerMessage(12, LogLevel.Warning, "Cannot reach hub {HubUrl}: {Reason}. Retrying in the background.", EventName = "Unreachable")]
    public static partial void Unreachable(ILogger logger, string hubUrl, string reason);

    [LoggerMessage(13, LogLevel.Debug, "Connecting to hub {HubUrl} in {Delay} (backoff attempt {Attempt}): {Reason}", EventName = "Reconnecting")]
    public static partial void Reconnecting(ILogger logger, string hubUrl, TimeSpan delay, int attempt, string reason);

    [LoggerMessage(14, LogLevel.Debug, "Hub acknowledged samples up to {Sequence}.", EventName = "Ack")]
    public static partial void Acked(ILogger logger, ulong sequence);

    [LoggerMessage(15, LogLevel.Information, "Hub settings applied: sample interval {IntervalMs} ms, top {TopProcesses} processes, protocol {ProtocolMajor}.{ProtocolMinor}.", EventName = "Settings")]
    public static partial void SettingsApplied(ILogger logger, int intervalMs, int topProcesses, uint protocolMajor, uint protocolMinor);

    [LoggerMessage(16, LogLevel.Information, "No hub URL configured; the agent will not stream samples.", EventName = "StreamingDisabled")]
    public static partial void StreamingDisabled(ILogger logger);

    [LoggerMessage(17, LogLevel.Error, "Hub URL {HubUrl} holds no usable address; the agent will not stream samples.", EventName = "BadHubUrl")]
    public static partial void BadHubUrl(ILogger logger, string hubUrl);

    [LoggerMessage(18, LogLevel.Error, "Sampling failed.", EventName = "SamplingFailed")]
    public static partial void SamplingFailed(ILogger logger, Exception exception);

    [LoggerMessage(19, LogLevel.Information, "Hub {HubUrl} asks the agent to reconnect elsewhere: {Reason}", EventName = "ReconnectRequested")]
    public static partial void ReconnectRequested(ILogger logger, string hubUrl, string reason);

    [LoggerMessage(20, LogLevel.Information, "Replaying {Count} unacknowledged samples to hub {HubUrl}.", EventName = "Replaying")]
    public static partial void Replaying(ILogger logger, int count, string hubUrl);

    [LoggerMessage(21, LogLevel.Warning, "Replay buffer full ({Capacity} samples): dropping the oldest unacknowledged samples until a hub acknowledges; {DroppedTotal} dropped since the agent started.", EventName = "BufferOverflow")]
    public static partial void BufferOverflow(ILogger logger, int capacity, ulong droppedTotal);

    [LoggerMessage(22, LogLevel.Information, "Replay buffer has room again; {Dropped} samples were dropped unsent while it was full.", EventName = "BufferRecovered")]
    public static partial void BufferRecovered(ILogger logger, ulong dropped);

    [LoggerMessage(23, LogLevel.Error, "Hub URL {HubUrl} is not an absolute http or https URL; it is left out of the hub list.", EventName = "BadHubUrlEntry")]
    public static partial void BadHubUrlEntry(ILogger logger, string hubUrl);

    [LoggerMessage(25, LogLevel.Information, "Enrolled with hub {HubUrl}: this agent's credential is saved in {Path} and replaces the enrollment token from now on.", EventName = "Enrolled")]
    public static partial void Enrolled(ILogger logger, string hubUrl, string path);

    [LoggerMessage(26, LogLevel.Error, "Enrolled with hub {HubUrl}, but no state directory is writable: the credential is kept in memory only, and the next start needs a new enrollment (and a revoked old credential).", EventName = "CredentialNotSaved")]
    public static partial void CredentialNotSaved(ILogger logger, string hubUrl);

    [LoggerMessage(24, LogLevel.Warning, "Hub {HubUrl} is plain http:// on another host: the agent's token crosses the network unencrypted. Use https:// for hubs that check tokens.", EventName = "TokenInCleartext")]
    public static partial void TokenInCleartext(ILogger logger, string hubUrl);
}
