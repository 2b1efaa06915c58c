using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SysMon.Agent.Cli;
using SysMon.Agent.Configuration;

namespace SysMon.Agent.Extensions;

/// <summary>How the agent's own program is configured, logs and runs under the host's service manager.</summary>
internal static class AgentHostExtensions
{
    /// <summary>
    /// Reads the settings file, the environment and the command line into the builder, binds and checks them, and
    /// loads the token file. Returns the options and every problem found; the agent must not start if there is one.
    /// </summary>
    public static (AgentOptions Options, List<string> Errors) AddAgentConfiguration(
        this HostApplicationBuilder builder, AgentCommandLine commandLine)
    {
        var errors = AgentConfiguration.AddSources(builder.Configuration, commandLine, Environment.GetEnvironmentVariable);
        errors.AddRange(AgentConfiguration.UnknownKeys(builder.Configuration)
            .Select(k => $"Unknown setting '{k}' (from the environment or command line). Known settings: {string.Join(", ", AgentConfiguration.Keys)}."));
        var options = AgentConfiguration.Bind(builder.Configuration, errors);
        errors.AddRange(AgentOptionsValidation.Validate(options, needsHub: commandLine.Command is AgentCommand.Run or AgentCommand.Check));
        if (errors.Count == 0 && AgentOptionsValidation.LoadTokenFile(options) is { } tokenError)
        {
            errors.Add(tokenError);
        }

        return (options, errors);
    }

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

    /// <summary>
    /// Console logging at the configured level and format. stdout is kept for a command's own output (the JSON
    /// of <c>--once</c>, the report of <c>--check</c>), so those log to stderr.
    /// </summary>
    public static HostApplicationBuilder AddAgentLogging(this HostApplicationBuilder builder, AgentOptions options, AgentCommand command)
    {
        var level = Enum.Parse<LogLevel>(options.LogLevel, ignoreCase: true);
        builder.Logging.ClearProviders();
        if (OperatingSystem.IsWindows() && Microsoft.Extensions.Hosting.WindowsServices.WindowsServiceHelpers.IsWindowsService())
        {
            // A service has no console: the SCM's Application event log is where Windows operators look.
            builder.Logging.AddEventLog(static o =>
            {
                if (OperatingSystem.IsWindows())
                {
                    o.SourceName = "SysMonAgent";
                }
            });
        }

        builder.Logging.SetMinimumLevel(command == AgentCommand.Run ? level : (LogLevel)Math.Max((int)level, (int)LogLevel.Warning));
        // Framework chatter (HTTP/2 connections, gRPC calls) is for debugging, not a daemon's steady state.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", level);
        var toStderr = command == AgentCommand.Run ? LogLevel.Warning : LogLevel.Trace;
        if (options.LogFormat.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            // Under systemd, AddSystemd switches this to the journal's format (no timestamps, <N> priorities).
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }

        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = toStderr);
        return builder;
    }
}
