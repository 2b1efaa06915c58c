using System.Globalization;

namespace SysMon.Agent.Cli;

/// <summary>What the agent was asked to do.</summary>
public enum AgentCommand
{
    /// <summary>Run as a daemon: sample and stream until stopped.</summary>
    Run,

    /// <summary>Print one sample as JSON and exit.</summary>
    Once,

    /// <summary>Connect to every hub, report whether each accepts this agent, and exit.</summary>
    Check,

    /// <summary>List the collectors of this platform and whether each is on, and exit.</summary>
    ListCollectors,

    /// <summary>Print the version and exit.</summary>
    Version,

    /// <summary>Print usage and exit.</summary>
    Help,
}

/// <summary>The agent's command line, turned into configuration keys of the <c>Agent</c> section.</summary>
/// <param name="Settings">Configuration keys and values ("Agent:HubUrl" → "http://hub:5001").</param>
/// <param name="Command">What to do; the last command switch given wins.</param>
/// <param name="ConfigFile">The configuration file named with <c>--config</c>, or null.</param>
/// <param name="Error">Why the command line is unusable; null when it is fine.</param>
internal sealed record AgentCommandLine(
    IReadOnlyDictionary<string, string?> Settings, AgentCommand Command, string? ConfigFile, string? Error)
{
    /// <summary>Exit code for a command line the agent does not understand (as BSD sysexits' EX_USAGE-ish 2).</summary>
    public const int UsageExitCode = 2;

    /// <summary>Print one sample as JSON and exit.</summary>
    public bool Once => Command == AgentCommand.Once;

    /// <summary>Print usage and exit.</summary>
    public bool ShowHelp => Command == AgentCommand.Help;

    public const string Usage =
        """
        Usage: sysmon-agent [options] [--once | --check | --list-collectors | --version | --help]

        Streams this host's metrics to a SysMon hub.

        Commands (default: run until stopped):
          --once               take one reading over one interval, print it as JSON, exit
          --check              connect to every hub, say whether it accepts this agent or why not, exit
                               (0 when every hub accepted)
          --list-collectors    list this platform's collectors and whether each is on, exit
          --version            print the agent's version, exit
          --help               show this help

        Options (the configuration key in parentheses):
          --config PATH        settings file, JSON (default /etc/sysmon/agent.json if present;
                               %ProgramData%\SysMon\agent.json on Windows)
          --hub URL[,URL…]     hub gRPC endpoint, e.g. http://hub:5001, or several (HubUrl)
                               separated by commas: one at a time, round robin
          --token TOKEN        token presented to hubs; prefer --token-file       (Token)
          --token-file PATH    file holding the token                              (TokenFile)
          --ca-file PATH       PEM CA certificates an https:// hub must chain to   (CaFile)
          --hub-fingerprint H  accept only the hub certificate with this SHA-256   (HubFingerprint)
          --allow-plaintext    allow http:// hubs on other hosts (unencrypted)     (AllowPlaintext)
          --client-cert PATH   PEM certificate for hubs requiring mutual TLS       (ClientCertificate)
          --client-key PATH    its PEM private key                                 (ClientKey)
          --machine-id ID      override the machine id                             (MachineId)
          --interval MS        sample interval, 250..60000 ms                      (SampleIntervalMs)
          --top N              processes per sample, 0..100                        (TopProcesses)
          --disable A,B        collectors to switch off, e.g. gpu,containers      (DisabledCollectors)
          --tags A,B           this machine's tags, e.g. prod,team:web            (Tags)
          --watch-processes A,B                                                    (WatchProcesses)
                               processes to count in every sample, 0 when none runs,
                               e.g. nginx,postgres
          --buffer-seconds N   keep unacknowledged samples this long, to replay    (BufferSeconds)
                               after a reconnect; 0..86400 s, default 900
          --ack-timeout N      leave a hub that acknowledges nothing for N s;      (AckTimeoutSeconds)
                               default 30, 0 turns the check off
          --log-level LEVEL    Trace, Debug, Information (default), Warning, …     (LogLevel)
          --log-format FMT     text (default) or json                              (LogFormat)
          --host-root PATH     the host's / mounted in a container, e.g. /host:    (HostRoot)
                               report the host, not the container
          --proc-root PATH     where procfs is mounted, default /proc              (ProcRoot)
          --sys-root PATH      where sysfs is mounted, default /sys                (SysRoot)
          --etc-root PATH      the host's /etc, default /etc                       (EtcRoot)
          --state-dir PATH     where a generated machine id is kept                (StateDirectory)

        Precedence, lowest first: defaults, the settings file, the environment (Agent__HubUrl,
        Agent__Token, … ; Agent__ConfigFile names the file), the command line. Settings are checked
        at start: a bad one stops the agent with exit code 78 and a sentence naming it.

        """;

    private static readonly Dictionary<string, string> s_valueSwitches = new(StringComparer.Ordinal)
    {
        ["--hub"] = "Agent:HubUrl",
        ["--token"] = "Agent:Token",
        ["--token-file"] = "Agent:TokenFile",
        ["--ca-file"] = "Agent:CaFile",
        ["--hub-fingerprint"] = "Agent:HubFingerprint",
        ["--client-cert"] = "Agent:ClientCertificate",
        ["--client-key"] = "Agent:ClientKey",
        ["--machine-id"] = "Agent:MachineId",
        ["--interval"] = "Agent:SampleIntervalMs",
        ["--top"] = "Agent:TopProcesses",
        ["--disable"] = "Agent:DisabledCollectors",
        ["--tags"] = "Agent:Tags",
        ["--watch-processes"] = "Agent:WatchProcesses",
        ["--buffer-seconds"] = "Agent:BufferSeconds",
        ["--ack-timeout"] = "Agent:AckTimeoutSeconds",
        ["--log-level"] = "Agent:LogLevel",
        ["--log-format"] = "Agent:LogFormat",
        ["--host-root"] = "Agent:HostRoot",
        ["--proc-root"] = "Agent:ProcRoot",
        ["--sys-root"] = "Agent:SysRoot",
        ["--etc-root"] = "Agent:EtcRoot",
        ["--state-dir"] = "Agent:StateDirectory",
    };

    /// <summary>Switches that take no value and set a setting to true.</summary>
    private static readonly Dictionary<string, string> s_flagSwitches = new(StringComparer.Ordinal)
    {
        ["--allow-plaintext"] = "Agent:AllowPlaintext",
    };

    private static readonly Dictionary<string, AgentCommand> s_commands = new(StringComparer.Ordinal)
    {
        ["--once"] = AgentCommand.Once,
        ["--check"] = AgentCommand.Check,
        ["--list-collectors"] = AgentCommand.ListCollectors,
        ["--version"] = AgentCommand.Version,
        ["-V"] = AgentCommand.Version,
        ["--help"] = AgentCommand.Help,
        ["-h"] = AgentCommand.Help,
    };

    private static readonly HashSet<string> s_integerSwitches = new(StringComparer.Ordinal)
    {
        "--interval", "--top", "--buffer-seconds", "--ack-timeout",
    };

    /// <summary>Parses <paramref name="args"/>; "--switch value" and "--switch=value" are both accepted.</summary>
    public static AgentCommandLine Parse(IReadOnlyList<string> args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var command = AgentCommand.Run;
        string? configFile = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                inlineValue = arg[(equals + 1)..];
                arg = arg[..equals];
            }

            if (s_commands.TryGetValue(arg, out var switchCommand) && inlineValue is null)
            {
                // Help wins over everything, so "--check --help" explains instead of connecting.
                command = command == AgentCommand.Help ? command : switchCommand;
                continue;
            }

            if (s_flagSwitches.TryGetValue(arg, out var flagKey) && inlineValue is null)
            {
                settings[flagKey] = "true";
                continue;
            }

            var isConfig = arg == "--config";
            if (!isConfig && !s_valueSwitches.ContainsKey(arg))
            {
                return Fail($"Unknown option '{args[i]}'.");
            }

            var value = inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
            if (value is null)
            {
                return Fail($"Option '{arg}' needs a value.");
            }

            if (s_integerSwitches.Contains(arg)
                && !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return Fail($"Option '{arg}' needs a whole number, not '{value}'.");
            }

            if (isConfig)
            {
                configFile = value;
            }
            else
            {
                settings[s_valueSwitches[arg]] = value;
            }
        }

        return new AgentCommandLine(settings, command, configFile, null);

        static AgentCommandLine Fail(string error) => new(new Dictionary<string, string?>(), AgentCommand.Run, null, error);
    }
}
