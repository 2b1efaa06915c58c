using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests;

/// <summary>The captured /proc, /sys and /etc trees under Fixtures/, copied next to the test assembly.</summary>
internal static class Fixtures
{
    /// <summary>Window between the t0 and t1 snapshots that the fixture tests pretend passed.</summary>
    public const double ElapsedSeconds = 2.0;

    /// <summary>A reading of this VM (2 cores, no cpufreq, no swap).</summary>
    public static HostPaths T0 { get; } = Tree("linux-t0");

    /// <summary>t0 with known counter deltas applied (see the tests for the numbers) and a cpufreq tree.</summary>
    public static HostPaths T1 { get; } = Tree("linux-t1");

    /// <summary>Processes with names to watch: two nginx, a zombie nginx, no postgres (see Fixtures/README.md).</summary>
    public static HostPaths WatchedProcesses { get; } = Tree("watched-processes");

    /// <summary>A root with nothing in it: every file is missing.</summary>
    public static HostPaths Missing { get; } = Tree("does-not-exist");

    public static string Read(HostPaths tree, string procRelative) => File.ReadAllText(tree.Proc(procRelative));

    public static HostPaths Tree(string name)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
        return new HostPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys"), Path.Combine(root, "etc"));
    }

    /// <summary>Primes a collector on t0, then collects t1 as if <see cref="ElapsedSeconds"/> had passed.</summary>
    public static Sample CollectT0ThenT1<T>(Func<HostPaths, T> create, Action<T, HostPaths> repoint, int topProcesses = 10, Sample? sample = null)
        where T : IMetricCollector
    {
        var collector = create(T0);
        collector.Collect(new Sample(), new CollectContext(0, topProcesses));
        repoint(collector, T1);
        sample ??= new Sample();
        collector.Collect(sample, new CollectContext(ElapsedSeconds, topProcesses));
        return sample;
    }
}

/// <summary>Helpers for the tests that read this machine.</summary>
internal static class Live
{
    public static HostPaths Paths { get; } = HostPaths.Live;

    /// <summary>
    /// Primes, lets a short measurement window pass, and collects again. The delay is the window the rates are
    /// measured over, not synchronisation: nothing is awaited but time.
    /// </summary>
    public static async Task<Sample> CollectOverWindowAsync(IMetricCollector collector, int topProcesses = 10, Sample? sample = null)
    {
        collector.Collect(new Sample(), new CollectContext(0, topProcesses));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        sample ??= new Sample();
        collector.Collect(sample, new CollectContext(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, topProcesses));
        return sample;
    }
}
