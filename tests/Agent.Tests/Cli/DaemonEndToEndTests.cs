using System.Collections.Concurrent;
using System.Text.Json;
using SysMon.Agent.Tests.Streaming;

namespace SysMon.Agent.Tests.Cli;

/// <summary>The agent's process as a service manager runs it: settings from file, environment and flags; exit codes; logs.</summary>
public sealed class DaemonEndToEndTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sysmon-daemon-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task VersionPrintsTheAgentVersionAndExitsZero()
    {
        var (exitCode, stdout, _) = await AgentExecutable.RunAsync(["--version"]);

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^sysmon-agent \d+\.\d+\.\d+ \(linux-\w+, .+, protocol 1\.\d+\)\s*$", stdout);
    }

    [Fact]
    public async Task ABadSettingStopsTheAgentWithExitCode78AndEveryProblemNamed()
    {
        var config = Path.Join(_directory, "agent.json");
        File.WriteAllText(config, """{"HubUrl": "hub:5001", "SampleIntervalMs": 10}""");

        var (exitCode, stdout, stderr) = await AgentExecutable.RunAsync(["--config", config, "--disable", "gpus"]);

        Assert.Equal(78, exitCode);
        Assert.Empty(stdout);
        Assert.Contains("'hub:5001' is not an absolute http:// or https:// URL", stderr, StringComparison.Ordinal);
        Assert.Contains("SampleIntervalMs is 10", stderr, StringComparison.Ordinal);
        Assert.Contains("no collector is called 'gpus'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMisspeltEnvironmentSettingIsAConfigurationError()
    {
        var (exitCode, _, stderr) = await AgentExecutable.RunAsync(["--list-collectors"],
            new Dictionary<string, string> { ["Agent__HubUrls"] = "http://hub:5001" });

        Assert.Equal(78, exitCode);
        Assert.Contains("Unknown setting 'HubUrls'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListCollectorsShowsWhatTheFileTheEnvironmentAndTheFlagsSwitchedOff()
    {
        var config = Path.Join(_directory, "agent.json");
        File.WriteAllText(config, """{"DisabledCollectors": ["processes"]}""");

        // The environment overrides the file, and the command line overrides the environment.
        var (exitCode, stdout, stderr) = await AgentExecutable.RunAsync(["--list-collectors", "--disable", "network"],
            new Dictionary<string, string> { ["Agent__ConfigFile"] = config, ["Agent__DisabledCollectors"] = "disks" });

        Assert.True(exitCode == 0, stderr);
        var states = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("off", states["network"]);
        Assert.Equal("on", states["disks"]);
        Assert.Equal("on", states["processes"]);
        Assert.Equal("on", states["cpu"]);
    }

    [Fact]
    public async Task CheckReportsEachHubAndExitsZeroOnlyWhenAllAccepted()
    {
        await using var hub = await ScriptedHub.StartAsync();
        hub.RequiredToken = "from-a-file";
        var tokenFile = Path.Join(_directory, "token");
        File.WriteAllText(tokenFile, "from-a-file\n");

        var (okCode, okOut, okErr) = await AgentExecutable.RunAsync(["--check", "--hub", hub.Url, "--token-file", tokenFile, "--machine-id", "check-e2e"]);
        var (badCode, badOut, _) = await AgentExecutable.RunAsync(["--check", "--hub", hub.Url, "--token", "wrong", "--machine-id", "check-e2e"]);

        Assert.True(okCode == 0, okOut + okErr);
        Assert.StartsWith("ok", okOut, StringComparison.Ordinal);
        Assert.Contains("accepted check-e2e", okOut, StringComparison.Ordinal);
        Assert.Equal(1, badCode);
        Assert.Contains("refused this agent's credentials", badOut, StringComparison.Ordinal);
        Assert.All(hub.Hellos, h => Assert.True(h.Hello.Probe));
        Assert.Equal(0, hub.Connections);
    }

    [Fact]
    public async Task AtSteadyStateTheDaemonLogsNothingPerSample()
    {
        await using var hub = await ScriptedHub.StartAsync();
        var lines = new ConcurrentQueue<string>();
        using var agent = AgentExecutable.Start(
            ["--hub", hub.Url, "--interval", "250", "--machine-id", "quiet-e2e", "--log-format", "json"],
            new Dictionary<string, string> { ["Agent__StateDirectory"] = _directory });
        agent.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) { lines.Enqueue(line); } };
        agent.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) { lines.Enqueue(line); } };
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        try
        {
            // Samples taken while connecting are sent in one burst, maybe before the connection's log lines reach
            // this process: the steady state starts once those lines are in and a few more samples have followed.
            await AgentExecutable.UntilAsync(() => lines.Any(l => l.Contains("\"EventId\":15", StringComparison.Ordinal)), "the connection's log lines");
            var settled = hub.Received.Count + 2;
            await AgentExecutable.UntilAsync(() => hub.Received.Count >= settled, "the agent streams");
            var afterConnect = lines.Count;
            var received = hub.Received.Count;
            await AgentExecutable.UntilAsync(() => hub.Received.Count >= received + 8, "eight more samples");

            Assert.True(afterConnect == lines.Count, "Logged after connecting:\n" + string.Join('\n', lines.Skip(afterConnect)));
            // Every line is one JSON object with the event's structured fields, for log shippers.
            var connected = lines.Select(l => JsonDocument.Parse(l).RootElement)
                .Single(e => e.GetProperty("EventId").GetInt32() == 10);
            Assert.Equal(hub.Url, connected.GetProperty("State").GetProperty("HubUrl").GetString());
            Assert.Equal("quiet-e2e", connected.GetProperty("State").GetProperty("MachineId").GetString());
        }
        finally
        {
            agent.Kill(entireProcessTree: true);
            await agent.WaitForExitAsync().WaitAsync(AgentExecutable.Deadline);
        }
    }
}
