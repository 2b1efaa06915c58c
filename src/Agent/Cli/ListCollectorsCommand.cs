using SysMon.Agent.Collectors;

namespace SysMon.Agent.Cli;

/// <summary><c>--list-collectors</c>: this platform's collectors, in run order, and whether the settings switch each off.</summary>
internal static class ListCollectorsCommand
{
    public static int Run(AgentOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var disabled = options.DisabledCollectorSet;
        output.WriteLine($"Collectors on {CollectorCatalog.PlatformName(CollectorCatalog.Current)} (switch off with --disable NAME,…):");
        foreach (var name in CollectorCatalog.NamesFor(CollectorCatalog.Current))
        {
            output.WriteLine($"  {name,-12} {(disabled.Contains(name) ? "off" : "on")}");
        }

        return 0;
    }
}
