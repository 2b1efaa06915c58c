using System.Globalization;

namespace SysMon.LoadGen;

/// <summary>Command line of the load generator; bench/load.sh passes every value explicitly.</summary>
public sealed record LoadOptions
{
    public required string[] GrpcUrls { get; init; }   // one per hub, agents spread round-robin
    public required string[] WebUrls { get; init; }    // one per hub, viewers spread in blocks
    public int Agents { get; init; } = 1000;
    public int Viewers { get; init; } = 100;
    public double RateHz { get; init; } = 1;           // samples per second per agent
    public double WarmupSeconds { get; init; } = 10;   // sent but not measured
    public double DurationSeconds { get; init; } = 60; // the measured window
    public double DrainSeconds { get; init; } = 5;     // after the last send, before counting losses
    public int Fanout { get; init; } = 1;              // viewers per machine
    public bool Fleet { get; init; }                   // also SubscribeFleet() on every viewer
    public int[] HubPids { get; init; } = [];          // measured from /proc over the window
    public int RedisPid { get; init; }                 // 0: not measured

    public const string Usage = """
        SysMon.LoadGen --grpc URL[,URL...] --web URL[,URL...] [--agents N] [--viewers M] [--rate HZ]
                       [--warmup S] [--duration S] [--drain S] [--fanout K] [--fleet]
                       [--hub-pids PID[,PID...]] [--redis-pid PID]
        """;

    public static LoadOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{name}'.\n{Usage}");
            }
            if (name == "--fleet")
            {
                flags.Add(name);
                continue;
            }
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value.\n{Usage}");
            }
            values[name] = args[++i];
        }
        string[] List(string name) => values.TryGetValue(name, out var v)
            ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        double Number(string name, double fallback) =>
            values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

        var options = new LoadOptions
        {
            GrpcUrls = List("--grpc"),
            WebUrls = List("--web"),
            Agents = (int)Number("--agents", 1000),
            Viewers = (int)Number("--viewers", 100),
            RateHz = Number("--rate", 1),
            WarmupSeconds = Number("--warmup", 10),
            DurationSeconds = Number("--duration", 60),
            DrainSeconds = Number("--drain", 5),
            Fanout = (int)Number("--fanout", 1),
            Fleet = flags.Contains("--fleet"),
            HubPids = [.. List("--hub-pids").Select(int.Parse)],
            RedisPid = (int)Number("--redis-pid", 0),
        };
        if (options.GrpcUrls.Length == 0 || options.GrpcUrls.Length != options.WebUrls.Length)
        {
            throw new ArgumentException($"--grpc and --web need one URL per hub, the same count.\n{Usage}");
        }
        if (options.Agents < 1 || options.Viewers < 0 || options.RateHz <= 0 || options.RateHz > 1000
            || options.DurationSeconds <= 0 || options.Fanout < 1)
        {
            throw new ArgumentException($"Out of range: agents ≥ 1, viewers ≥ 0, 0 < rate ≤ 1000, duration > 0, fanout ≥ 1.\n{Usage}");
        }
        return options;
    }
}
