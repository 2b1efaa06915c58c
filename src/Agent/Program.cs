using Microsoft.Extensions.Logging.Console;
using SysMon.Agent;
using SysMon.Agent.Cli;
using SysMon.Agent.Extensions;

// Configuration, lowest to highest precedence: defaults in AgentOptions, environment (Agent__HubUrl),
// command line. There is deliberately no appsettings.json: the hub references this project, and an agent
// appsettings.json would overwrite the hub's in its output folder.
var commandLine = AgentCommandLine.Parse(args);
if (commandLine.Error is not null)
{
    Console.Error.WriteLine(commandLine.Error);
    Console.Error.Write(AgentCommandLine.Usage);
    return AgentCommandLine.UsageExitCode;
}

if (commandLine.ShowHelp)
{
    Console.Out.Write(AgentCommandLine.Usage);
    return 0;
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
builder.Configuration.AddInMemoryCollection(commandLine.Settings);
builder.UseServiceManager();
builder.Services.AddSysMonAgent(options => builder.Configuration.GetSection(AgentOptions.SectionName).Bind(options));

if (commandLine.Once)
{
    // stdout carries the JSON; logs go to stderr.
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    using var once = builder.Build();
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
    return await OnceCommand.RunAsync(once, Console.Out, cancel.Token);
}

using var host = builder.Build();
await host.RunAsync();
return 0;
