namespace SysMon.Hub;

/// <summary>Settings of the hub, bound from the <c>Hub</c> configuration section.</summary>
public sealed class HubOptions
{
    public const string SectionName = "Hub";

    /// <summary>Sampling interval the hub asks every agent to use, milliseconds (250..60000).</summary>
    public int SampleIntervalMs { get; set; } = 1000;

    /// <summary>How many top processes agents report per sample (0..100).</summary>
    public int TopProcesses { get; set; } = 10;

    /// <summary>A machine is offline after this many missed sample intervals plus <see cref="OfflineGraceSeconds"/>.</summary>
    public int OfflineMissedIntervals { get; set; } = 3;

    /// <summary>Slack for scheduling and network jitter on top of the missed intervals, seconds.</summary>
    public double OfflineGraceSeconds { get; set; } = 2;

    /// <summary>Samples a stream may hold waiting for storage (Redis down) before the hub stops reading from it.</summary>
    public int IngestQueueLength { get; set; } = 120;

    /// <summary>How often the fleet summary is sent to fleet viewers, milliseconds.</summary>
    public int FleetIntervalMs { get; set; } = 2000;

    /// <summary>
    /// Samples per second one agent stream is read at, at most (its burst: one second's worth). Above it
    /// the hub reads more slowly, which pushes back on the agent through HTTP/2 flow control: nothing is
    /// dropped, a flood only slows itself. Replays after a reconnect run at this rate (900 buffered
    /// samples: 9 s at the default).
    /// </summary>
    public int MaxSamplesPerSecondPerAgent { get; set; } = 100;

    /// <summary>
    /// A stream on which nothing arrives for this long after the hello is closed (a stuck or hostile
    /// client holding a stream); 0: the larger of 30 s and ten sample intervals.
    /// </summary>
    public double StreamIdleSeconds { get; set; }

    /// <summary>The idle limit actually applied: <see cref="StreamIdleSeconds"/>, or its default.</summary>
    public TimeSpan EffectiveStreamIdle => StreamIdleSeconds > 0
        ? TimeSpan.FromSeconds(StreamIdleSeconds)
        : TimeSpan.FromMilliseconds(Math.Max(30_000, 10.0 * EffectiveSampleIntervalMs));

    /// <summary>How long a shutting-down hub waits for its agents to move elsewhere, seconds.</summary>
    public double DrainSeconds { get; set; } = 5;

    /// <summary>Silence after which a machine shows offline (default 3 × 1 s + 2 s = 5 s).</summary>
    public TimeSpan OfflineAfter =>
        TimeSpan.FromMilliseconds(OfflineMissedIntervals * (double)EffectiveSampleIntervalMs) + TimeSpan.FromSeconds(OfflineGraceSeconds);

    /// <summary>The interval agents are actually asked for: <see cref="SampleIntervalMs"/> within 250..60000.</summary>
    public int EffectiveSampleIntervalMs => Math.Clamp(SampleIntervalMs, 250, 60_000);

    /// <summary>Name of this hub instance in logs and in the registry; defaults to host name + process id.</summary>
    public string? InstanceId { get; set; }
}

/// <summary>
/// The agent the hub runs in-process to monitor its own host, bound from <c>EmbeddedAgent</c>.
/// It is the real agent code, streaming over real gRPC to this hub's own agent endpoint, so a new
/// user sees live data with nothing else installed. Turn it off where real agents run on the hosts.
/// </summary>
public sealed class EmbeddedAgentOptions
{
    public const string SectionName = "EmbeddedAgent";

    public bool Enabled { get; set; } = true;

    /// <summary>Overrides the machine id (default: /etc/machine-id, as a standalone agent would use).</summary>
    public string? MachineId { get; set; }

    /// <summary>Where the embedded agent connects; default: this hub's own <c>Kestrel:Endpoints:Grpc</c> URL on loopback.</summary>
    public string? HubUrl { get; set; }

    /// <summary>The hub host's tags, comma-separated, as an agent's <c>--tags</c>.</summary>
    public string? Tags { get; set; }

    /// <summary>Process names the hub host's agent watches, comma-separated, as an agent's <c>--watch-processes</c>.</summary>
    public string? WatchProcesses { get; set; }
}
