using SysMon.Agent;
using SysMon.Agent.Cli;
using SysMon.Agent.Collectors;
using SysMon.Agent.Configuration;
using SysMon.Agent.Extensions;

// Settings, lowest to highest precedence: defaults in AgentOptions, the settings file, the environment
// (Agent__HubUrl), the command line; all checked before anything starts. There is deliberately no
// appsettings.json: the hub references this project, and an agent appsettings.json would overwrite the hub's.
var commandLine = AgentCommandLine.Parse(args);
if (commandLine.Error is not null)
{
    Console.Error.WriteLine($"sysmon-agent: {commandLine.Error}");
    Console.Error.Write(AgentCommandLine.Usage);
    return AgentCommandLine.UsageExitCode;
}

switch (commandLine.Command)
{
    case AgentCommand.Help:
        Console.Out.Write(AgentCommandLine.Usage);
        return 0;
    case AgentCommand.Version:
        Console.Out.WriteLine(SystemInfo.VersionLine);
        return 0;
}

// Before the collectors exist: how many /proc/PID files they may keep open depends on it.
ProcessFiles.RaiseDescriptorLimit();
var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
var (options, errors) = builder.AddAgentConfiguration(commandLine);
if (errors.Count > 0)
{
    foreach (var error in errors)
    {
        Console.Error.WriteLine($"sysmon-agent: configuration error: {error}");
    }

    return AgentOptionsValidation.ConfigErrorExitCode;
}

builder.UseServiceManager();
builder.AddAgentLogging(options, commandLine.Command);
builder.Services.AddSysMonAgent(o => builder.Configuration.GetSection(AgentOptions.SectionName).Bind(o));
// The binder above reads a list given as indexed keys (Agent__WatchProcesses__0) as nothing; the checked options have it.
builder.Services.PostConfigure<AgentOptions>(o => (o.Token, o.TokenFile, o.WatchProcesses) = (options.Token, null, options.WatchProcesses));

using var host = builder.Build();
using var cancel = new CancellationTokenSource();
if (commandLine.Command != AgentCommand.Run)
{
    // The daemon's Ctrl+C and SIGTERM belong to the host's lifetime (a graceful stop); a command just ends.
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
}

return commandLine.Command switch
{
    AgentCommand.Once => await OnceCommand.RunAsync(host, Console.Out, cancel.Token),
    AgentCommand.Check => await CheckCommand.RunAsync(host, Console.Out, cancel.Token),
    AgentCommand.ListCollectors => ListCollectorsCommand.Run(options, Console.Out),
    _ => await RunAsync(host),
};

static async Task<int> RunAsync(IHost host)
{
    await host.RunAsync();
    return 0;
}
