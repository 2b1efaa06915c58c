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

    [LoggerMessage(13, LogLevel.Debug, "Reconnecting to hub in {Delay} (attempt {Attempt}): {Reason}", EventName = "Reconnecting")]
    public static partial void Reconnecting(ILogger logger, TimeSpan delay, int attempt, string reason);

    [LoggerMessage(14, LogLevel.Debug, "Hub acknowledged samples up to {Sequence}.", EventName = "Ack")]
    public static partial void Acked(ILogger logger, ulong sequence);

    [LoggerMessage(15, LogLevel.Information, "Hub settings applied: sample interval {IntervalMs} ms, top {TopProcesses} processes.", EventName = "Settings")]
    public static partial void SettingsApplied(ILogger logger, int intervalMs, int topProcesses);

    [LoggerMessage(16, LogLevel.Information, "No hub URL configured; the agent will not stream samples.", EventName = "StreamingDisabled")]
    public static partial void StreamingDisabled(ILogger logger);

    [LoggerMessage(17, LogLevel.Error, "Hub URL {HubUrl} is not usable; the agent will not stream samples.", EventName = "BadHubUrl")]
    public static partial void BadHubUrl(ILogger logger, string hubUrl, Exception exception);

    [LoggerMessage(18, LogLevel.Error, "Sampling failed.", EventName = "SamplingFailed")]
    public static partial void SamplingFailed(ILogger logger, Exception exception);
}
