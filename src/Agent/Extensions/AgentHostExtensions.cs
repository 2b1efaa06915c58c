using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SysMon.Agent.Extensions;

/// <summary>How the agent's own program runs under the host's service manager.</summary>
internal static class AgentHostExtensions
{
    /// <summary>
    /// Integrates with systemd (Type=notify, journald-friendly logs) or the Windows Service Control Manager
    /// (service "SysMonAgent": start/stop through the SCM, logs to the Application event log) when started by
    /// one of them; each is a no-op otherwise.
    /// </summary>
    public static HostApplicationBuilder UseServiceManager(this HostApplicationBuilder builder)
    {
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(o => o.ServiceName = "SysMonAgent");
        return builder;
    }
}
