using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent;

/// <summary>
/// Takes readings of the host with a set of collectors. Rates need two readings, so a sampler is primed once
/// and then every <see cref="Read"/> reports the window since the reading before it.
/// </summary>
/// <remarks>
/// Not thread-safe, and it keeps state between readings: resolve one per consumer (it is registered as
/// transient, with its own collectors), never share the streamer's.
/// Disposing it disposes its collectors (the process collector keeps /proc/PID descriptors open).
/// </remarks>
public sealed class Sampler : IDisposable
{
    private readonly IMetricCollector[] _collectors;
    private readonly bool[] _failing;
    private readonly ILogger _logger;
    private long _previousTimestamp;
    private bool _primed;
    private int _topProcesses;
    private int _sampleIntervalMs;

    /// <summary>Creates a sampler over <paramref name="collectors"/>, run in the order given.</summary>
    public Sampler(IEnumerable<IMetricCollector> collectors, IOptions<AgentOptions> options, ILogger<Sampler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(collectors);
        ArgumentNullException.ThrowIfNull(options);
        _collectors = [.. collectors];
        _failing = new bool[_collectors.Length];
        _logger = logger ?? NullLogger<Sampler>.Instance;
        TopProcesses = options.Value.TopProcesses;
        SampleIntervalMs = options.Value.SampleIntervalMs;
    }

    /// <summary>A sampler with the standard Linux collectors, for callers without dependency injection.</summary>
    public static Sampler Create(AgentOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        return new Sampler(
            CollectorCatalog.Create(options, loggerFactory), Options.Create(options), loggerFactory.CreateLogger<Sampler>());
    }

    /// <summary>Names of this sampler's collectors, in run order (what the hello announces).</summary>
    public IReadOnlyList<string> CollectorNames => [.. _collectors.Select(c => c.Name)];

    /// <summary>How many processes each sample reports (clamped to 0..100).</summary>
    public int TopProcesses
    {
        get => Volatile.Read(ref _topProcesses);
        set => Volatile.Write(ref _topProcesses, AgentOptions.ClampTopProcesses(value));
    }

    /// <summary>The interval <see cref="SampleOnceAsync"/> measures over, milliseconds (clamped to 250..60000).</summary>
    public int SampleIntervalMs
    {
        get => Volatile.Read(ref _sampleIntervalMs);
        set => Volatile.Write(ref _sampleIntervalMs, AgentOptions.ClampInterval(value));
    }

    /// <summary>Takes the baseline reading that the next <see cref="Read"/> computes its rates against.</summary>
    public void Prime()
    {
        RunCollectors(new Sample(), elapsedSeconds: 0);
        _primed = true;
    }

    /// <summary>Takes a reading; rates cover the time since the previous reading (or <see cref="Prime"/>).</summary>
    /// <exception cref="InvalidOperationException">The sampler was not primed: the rates would be nonsense.</exception>
    public Sample Read()
    {
        if (!_primed)
        {
            throw new InvalidOperationException("Prime the sampler before reading from it.");
        }

        var sample = new Sample { TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        sample.IntervalSeconds = RunCollectors(sample, Stopwatch.GetElapsedTime(_previousTimestamp).TotalSeconds);
        return sample;
    }

    /// <summary>Primes, waits one <see cref="SampleIntervalMs"/>, and returns that window's reading with sequence 1.</summary>
    public async Task<Sample> SampleOnceAsync(CancellationToken cancellationToken = default)
    {
        Prime();
        await Task.Delay(SampleIntervalMs, cancellationToken).ConfigureAwait(false);
        var sample = Read();
        sample.Sequence = 1;
        return sample;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var collector in _collectors)
        {
            (collector as IDisposable)?.Dispose();
        }
    }

    private double RunCollectors(Sample sample, double elapsedSeconds)
    {
        _previousTimestamp = Stopwatch.GetTimestamp();
        var context = new CollectContext(elapsedSeconds, TopProcesses);
        for (var i = 0; i < _collectors.Length; i++)
        {
            // One broken collector (a file a kernel lacks, a permission) must not cost the whole sample.
            try
            {
                _collectors[i].Collect(sample, context);
                if (_failing[i])
                {
                    _failing[i] = false;
                    AgentLog.CollectorRecovered(_logger, _collectors[i].Name);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException
                or InvalidOperationException or ArgumentException or OverflowException
                or DllNotFoundException or EntryPointNotFoundException or System.ComponentModel.Win32Exception)
            {
                // Viewers see which part of the sample is missing, every time; the log says why, once.
                sample.FailedCollectors.Add(_collectors[i].Name);
                if (!_failing[i])
                {
                    _failing[i] = true;
                    AgentLog.CollectorFailed(_logger, _collectors[i].Name, e);
                }
            }
        }

        return elapsedSeconds;
    }
}
