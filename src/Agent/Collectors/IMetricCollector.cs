using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>
/// Reads one family of metrics into a <see cref="Sample"/>. A collector keeps its previous reading so it
/// can turn counters into rates; the first call after construction only primes that state.
/// </summary>
/// <remarks>Not thread-safe: one sampler owns one set of collectors and calls them in turn.</remarks>
public interface IMetricCollector
{
    /// <summary>Short stable name used in logs, e.g. "cpu".</summary>
    string Name { get; }

    /// <summary>Reads the host and fills this collector's part of <paramref name="sample"/>.</summary>
    void Collect(Sample sample, in CollectContext context);
}

/// <summary>What a collector needs to know about the sample being taken.</summary>
/// <param name="ElapsedSeconds">Seconds since the previous reading; 0 (or less) when there was none.</param>
/// <param name="TopProcesses">How many processes to report.</param>
public readonly record struct CollectContext(double ElapsedSeconds, int TopProcesses);
