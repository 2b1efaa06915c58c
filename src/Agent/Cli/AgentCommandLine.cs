using System.Globalization;

namespace SysMon.Agent.Cli;

/// <summary>The agent's command line, turned into configuration keys of the <c>Agent</c> section.</summary>
/// <param name="Settings">Configuration keys and values ("Agent:HubUrl" → "http://hub:5001").</param>
/// <param name="Once">Print one sample as JSON and exit.</param>
/// <param name="ShowHelp">Print usage and exit.</param>
/// <param name="Error">Why the command line is unusable; null when it is fine.</param>
internal sealed record AgentCommandLine(
    IReadOnlyDictionary<string, string?> Settings, bool Once, bool ShowHelp, string? Error)
{
    /// <summary>Exit code for a command line the agent does not understand (as BSD sysexits' EX_USAGE-ish 2).</summary>
    public const int UsageExitCode = 2;

    public const string Usage =
        """
        Usage: sysmon-agent [options]

        Streams this host's metrics to a SysMon hub.

        Options:
          --hub URL[,URL…]     hub gRPC endpoint, e.g. http://hub:5001, or several (Agent:HubUrl)
                               separated by commas: one at a time, round robin
          --machine-id ID      override the machine id                             (Agent:MachineId)
          --interval MS        sample interval, 250..60000 ms                      (Agent:SampleIntervalMs)
          --top N              processes per sample, 0..100                        (Agent:TopProcesses)
          --buffer-seconds N   keep unacknowledged samples this long, to replay    (Agent:BufferSeconds)
                               after a reconnect; 0..86400 s, default 900
          --ack-timeout N      leave a hub that acknowledges nothing for N s;      (Agent:AckTimeoutSeconds)
                               default 30, 0 turns the check off
          --host-root PATH     the host's / mounted in a container, e.g. /host:    (Agent:HostRoot)
                               report the host, not the container
          --proc-root PATH     where procfs is mounted, default /proc              (Agent:ProcRoot)
          --sys-root PATH      where sysfs is mounted, default /sys                (Agent:SysRoot)
          --etc-root PATH      the host's /etc, default /etc                       (Agent:EtcRoot)
          --state-dir PATH     where a generated machine id is kept                (Agent:StateDirectory)
          --once               take one reading over one interval, print it as JSON, exit
          --help               show this help

        Every setting can also come from the environment: Agent__HubUrl (a comma-separated list too),
        Agent__SampleIntervalMs, …

        """;

    private static readonly Dictionary<string, string> s_valueSwitches = new(StringComparer.Ordinal)
    {
        ["--hub"] = "Agent:HubUrl",
        ["--machine-id"] = "Agent:MachineId",
        ["--interval"] = "Agent:SampleIntervalMs",
        ["--top"] = "Agent:TopProcesses",
        ["--buffer-seconds"] = "Agent:BufferSeconds",
        ["--ack-timeout"] = "Agent:AckTimeoutSeconds",
        ["--host-root"] = "Agent:HostRoot",
        ["--proc-root"] = "Agent:ProcRoot",
        ["--sys-root"] = "Agent:SysRoot",
        ["--etc-root"] = "Agent:EtcRoot",
        ["--state-dir"] = "Agent:StateDirectory",
    };

    private static readonly HashSet<string> s_integerSwitches = new(StringComparer.Ordinal)
    {
        "--interval", "--top", "--buffer-seconds", "--ack-timeout",
    };

    /// <summary>Parses <paramref name="args"/>; "--switch value" and "--switch=value" are both accepted.</summary>
    public static AgentCommandLine Parse(IReadOnlyList<string> args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        bool once = false, help = false;
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

            if (arg is "--once" or "--help" or "-h" && inlineValue is null)
            {
                once |= arg == "--once";
                help |= arg != "--once";
                continue;
            }

            if (!s_valueSwitches.TryGetValue(arg, out var key))
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

            settings[key] = value;
        }

        return new AgentCommandLine(settings, once, help, null);

        static AgentCommandLine Fail(string error) => new(new Dictionary<string, string?>(), false, false, error);
    }
}
