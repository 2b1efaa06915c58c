using System.Diagnostics;

namespace SysMon.LoadGen;

/// <summary>
/// When each (agent, sequence) was written, as <see cref="Stopwatch"/> ticks, plus the measured window.
/// Agents write their own row; viewers only read, so no locks: a viewer can only see a sequence after
/// the hub received it, which is after its slot was written (the write happens before the gRPC send).
/// </summary>
public sealed class SendLog(int agents, int capacityPerAgent)
{
    private readonly long[][] _sentTicks = [.. Enumerable.Range(0, agents).Select(_ => new long[capacityPerAgent + 1])];

    public int CapacityPerAgent { get; } = capacityPerAgent;
    public long WindowStart { get; set; } = long.MaxValue;
    public long WindowEnd { get; set; } = long.MaxValue;

    public bool InWindow(long ticks) => ticks >= WindowStart && ticks < WindowEnd;

    public void Record(int agent, ulong sequence, long ticks) => Volatile.Write(ref _sentTicks[agent][sequence], ticks);

    /// <summary>Send time of a sequence, 0 when unknown (never sent by this run).</summary>
    public long SentTicks(int agent, ulong sequence) =>
        sequence < (ulong)_sentTicks[agent].Length ? Volatile.Read(ref _sentTicks[agent][sequence]) : 0;
}
