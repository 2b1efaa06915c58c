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
        // Every sampler gets its own collectors (their rate windows are per consumer), chosen by the catalog.
        services.TryAddTransient(sp => new Sampler(
            CollectorCatalog.Create(sp.GetRequiredService<IOptions<AgentOptions>>().Value,
                sp.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance),
            sp.GetRequiredService<IOptions<AgentOptions>>(),
            sp.GetService<ILogger<Sampler>>()));
        services.AddHostedService<HubStreamer>();
        return services;
    }

    // Marks that the agent's services are registered, so a second AddSysMonAgent does not duplicate collectors.
    private sealed class AgentMarker;
}
