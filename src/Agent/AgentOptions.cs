namespace SysMon.Agent;

/// <summary>Settings of the SysMon agent, bound from the configuration section <c>Agent</c>.</summary>
public sealed class AgentOptions
{
    /// <summary>The configuration section the agent's program binds these options from.</summary>
    public const string SectionName = "Agent";

    /// <summary>Shortest sampling interval the agent accepts, milliseconds.</summary>
    public const int MinSampleIntervalMs = 250;

    /// <summary>Longest sampling interval the agent accepts, milliseconds.</summary>
    public const int MaxSampleIntervalMs = 60_000;

    /// <summary>Most processes the agent reports per sample.</summary>
    public const int MaxTopProcesses = 100;

    /// <summary>Longest replay buffer the agent accepts, seconds (a day).</summary>
    public const int MaxBufferSeconds = 86_400;

    /// <summary>
    /// The hub's gRPC endpoint (<c>http://</c> for HTTP/2 cleartext), or several separated by commas: the agent
    /// streams to one at a time and moves to the next when that one fails. Null or empty disables streaming.
    /// </summary>
    public string? HubUrl { get; set; } = "http://localhost:5001";

    /// <summary>
    /// How many seconds of samples the agent keeps until a hub acknowledges them, to replay after a reconnect
    /// (clamped to 0..86400; the buffer holds at least 16 samples).
    /// </summary>
    public int BufferSeconds { get; set; } = 900;

    /// <summary>
    /// How long sent samples may go unacknowledged before the agent gives up on the hub and moves to the next,
    /// seconds; 0 turns the check off.
    /// </summary>
    public int AckTimeoutSeconds { get; set; } = 30;

    /// <summary>Overrides the machine id; otherwise /etc/machine-id, otherwise a generated and persisted id.</summary>
    public string? MachineId { get; set; }

    /// <summary>Sampling interval until the hub says otherwise, milliseconds (clamped to 250..60000).</summary>
    public int SampleIntervalMs { get; set; } = 1000;

    /// <summary>How many processes to report per sample, highest CPU first (clamped to 0..100).</summary>
    public int TopProcesses { get; set; } = 10;

    /// <summary>
    /// The host's "/" mounted into the agent's container (<c>/host</c>), like node_exporter's --path.rootfs: proc, sys
    /// and etc default to the folders under it, and the agent reads the host's network, mounts and container
    /// metadata through it. Null when the agent runs on the host (or should report only its container).
    /// </summary>
    public string? HostRoot { get; set; }

    /// <summary>Where procfs is mounted; tests point it at a captured fixture tree.</summary>
    public string ProcRoot { get; set; } = "/proc";

    /// <summary>Where sysfs is mounted.</summary>
    public string SysRoot { get; set; } = "/sys";

    /// <summary>Where the host's /etc is (os-release, machine-id, passwd).</summary>
    public string EtcRoot { get; set; } = "/etc";

    /// <summary>Where the generated machine id is persisted; null means /var/lib/sysmon-agent,
    /// falling back to ~/.local/state/sysmon-agent when that is not writable.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>
    /// Collectors to switch off, comma-separated names ("gpu,containers"); see <c>--list-collectors</c>.
    /// A name no platform knows is a configuration error.
    /// </summary>
    public string? DisabledCollectors { get; set; }

    /// <summary>
    /// This machine's tags, comma-separated ("prod,team:web"), sent in the hello. Viewers restricted to tags
    /// see only machines carrying one of theirs. Rule: <see cref="SysMon.Protocol.MachineTags.Rule"/>.
    /// </summary>
    public string? Tags { get; set; }

    /// <summary>
    /// Names of processes to count in every sample, comma-separated ("nginx,postgres"), or as a list in the file
    /// or the environment (<c>Agent__WatchProcesses__0=nginx</c>). Every name is reported in every sample, with
    /// count 0 when none runs, so the hub can tell "not running" from "not watched". Matched against the short
    /// name (Linux's comm, cut to 15 bytes). Rule: <see cref="SysMon.Protocol.WatchedProcessNames.Rule"/>.
    /// </summary>
    public string? WatchProcesses { get; set; }

    /// <summary>
    /// Token the agent presents to hubs (<c>authorization: Bearer …</c> on the ingest stream). Visible ASCII, no
    /// spaces, at most <see cref="MaxTokenLength"/> characters. Prefer <see cref="TokenFile"/>: a token on the
    /// command line is visible to every user of the host through /proc.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>A file holding the token (surrounding whitespace ignored), e.g. a systemd credential or a mounted secret.</summary>
    public string? TokenFile { get; set; }

    /// <summary>PEM file of the CA certificates an https:// hub's certificate must chain to (a private CA); default: the system's trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>
    /// Allows http:// hubs on other hosts: samples, process command lines and the agent's token then cross
    /// the network unencrypted. Off: such a hub is a configuration error (loopback http:// is always allowed).
    /// </summary>
    public bool AllowPlaintext { get; set; }

    /// <summary>PEM certificate the agent presents to hubs that require client certificates (mutual TLS); with <see cref="ClientKey"/>.</summary>
    public string? ClientCertificate { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificate"/>.</summary>
    public string? ClientKey { get; set; }

    /// <summary>SHA-256 of the hub's certificate (64 hex digits, colons allowed): only that certificate is accepted, whoever signed it.</summary>
    public string? HubFingerprint { get; set; }

    /// <summary>Least severe log level written: Trace, Debug, Information (default), Warning, Error, Critical or None.</summary>
    public string LogLevel { get; set; } = "Information";

    /// <summary>
    /// "text" (one line per event; systemd's journal format when started by systemd) or "json" (one JSON object
    /// per line, with every structured field, for log shippers).
    /// </summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>Longest token accepted.</summary>
    public const int MaxTokenLength = 4096;

    /// <summary><see cref="DisabledCollectors"/> as a set of names.</summary>
    internal IReadOnlySet<string> DisabledCollectorSet =>
        (DisabledCollectors ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary><see cref="WatchProcesses"/> as names, in configured order, without duplicates.</summary>
    internal IReadOnlyList<string> WatchProcessNames => SysMon.Protocol.WatchedProcessNames.Parse(WatchProcesses);

    internal static int ClampInterval(int milliseconds) =>
        Math.Clamp(milliseconds, MinSampleIntervalMs, MaxSampleIntervalMs);

    internal static int ClampTopProcesses(int count) => Math.Clamp(count, 0, MaxTopProcesses);

    internal static int ClampBufferSeconds(int seconds) => Math.Clamp(seconds, 0, MaxBufferSeconds);
}
