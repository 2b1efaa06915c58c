using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SysMon.Agent.Extensions;

/// <summary>How the agent's own program runs under the host's service manager.</summary>
internal static class AgentHostExtensions
{
    /// <summary>
    /// Integrates with systemd (Type=notify, journald-friendly logs) when started by it, and is a no-op otherwise.
    /// </summary>
    public static HostApplicationBuilder UseServiceManager(this HostApplicationBuilder builder)
    {
        builder.Services.AddSystemd();
        return builder;
    }
}
