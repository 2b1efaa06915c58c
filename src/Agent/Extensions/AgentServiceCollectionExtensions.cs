using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Agent.Streaming;

namespace SysMon.Agent.Extensions;

/// <summary>Registers the SysMon agent in a host: the agent's own program, or the hub monitoring its own host.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>Registers collectors, the sampler and the HubStreamer hosted service.</summary>
    /// <remarks>
    /// Touches neither logging nor host settings (no UseSystemd), so a host with its own setup can call it.
    /// Collectors and <see cref="Sampler"/> are transient: every resolved sampler has its own collectors and
    /// so its own rate windows. Calling this twice adds the configuration but registers the services once.
    /// </remarks>
    public static IServiceCollection AddSysMonAgent(this IServiceCollection services, Action<AgentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<AgentOptions>().Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(AgentMarker)))
        {
            return services;
        }

        services.AddSingleton<AgentMarker>();
        // The order is the order collectors run in: memory before processes (memory_percent needs the total).
        services.AddCollector(static (paths, _) => new UptimeCollector(paths));
        services.AddCollector(static (paths, _) => new CpuCollector(paths));
        services.AddCollector(static (paths, _) => new MemoryCollector(paths));
        services.AddCollector(static (paths, sp) => new FilesystemCollector(paths, sp.GetService<ILogger<FilesystemCollector>>()));
        services.AddCollector(static (paths, _) => new DiskIoCollector(paths));
        services.AddCollector(static (paths, _) => new NetworkCollector(paths));
        services.AddCollector(static (paths, _) => new ProcessCollector(paths));
        services.TryAddTransient<Sampler>();
        services.AddHostedService<HubStreamer>();
        return services;
    }

    private static void AddCollector(
        this IServiceCollection services, Func<HostPaths, IServiceProvider, IMetricCollector> create) =>
        services.AddTransient(sp => create(HostPaths.From(sp.GetRequiredService<IOptions<AgentOptions>>().Value), sp));

    // Marks that the agent's services are registered, so a second AddSysMonAgent does not duplicate collectors.
    private sealed class AgentMarker;
}
