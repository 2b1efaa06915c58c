using System.Text.Json;

namespace SysMon.Agent.Tests.Cli;

/// <summary>Runs the built sysmon-agent.dll the way an operator would.</summary>
public class OnceCommandEndToEndTests
{
    [Fact]
    public async Task OncePrintsHelloAndARealSampleAsJsonAndExitsZero()
    {
        var (exitCode, stdout, stderr) = await RunAgentAsync("--once", "--interval", "250", "--top", "3", "--machine-id", "e2e-host");

        Assert.True(exitCode == 0, $"exit code {exitCode}; stderr: {stderr}");
        using var json = JsonDocument.Parse(stdout);
        var hello = json.RootElement.GetProperty("hello");
        var sample = json.RootElement.GetProperty("sample");
        Assert.Equal("e2e-host", hello.GetProperty("machineId").GetString());
        Assert.Equal(1, hello.GetProperty("protocolVersion").GetInt32());
        Assert.InRange(sample.GetProperty("cpu").GetProperty("totalPercent").GetDouble(), 0, 100);
        Assert.InRange(sample.GetProperty("intervalSeconds").GetDouble(), 0.2, 10);
        Assert.True(sample.GetProperty("processCount").GetInt32() > 0);
    }

    [Fact]
    public async Task ProcessesWatchedThroughIndexedEnvironmentVariablesAreCountedInTheSample()
    {
        // The way a container or a systemd unit would set a list; only the processes collector, on a fixture /proc.
        var others = SysMon.Agent.Collectors.CollectorCatalog.NamesFor(SysMon.Agent.Collectors.CollectorCatalog.Current).Where(name => name != "processes");
        var (exitCode, stdout, stderr) = await AgentExecutable.RunAsync(
            ["--once", "--interval", "250", "--top", "0", "--proc-root", Fixtures.WatchedProcesses.ProcRoot, "--disable", string.Join(',', others)],
            new Dictionary<string, string> { ["Agent__WatchProcesses__0"] = "nginx", ["Agent__WatchProcesses__1"] = "postgres" });

        Assert.True(exitCode == 0, $"exit code {exitCode}; stderr: {stderr}");
        using var json = JsonDocument.Parse(stdout);
        var watched = json.RootElement.GetProperty("sample").GetProperty("watchedProcesses").EnumerateArray()
            .Select(w => (w.GetProperty("name").GetString(), w.GetProperty("count").GetUInt32()));
        Assert.Equal([("nginx", 2U), ("postgres", 0U)], watched);
    }

    [Fact]
    public async Task AnUnknownSwitchExitsWithCodeTwoAndSaysWhy()
    {
        var (exitCode, _, stderr) = await RunAgentAsync("--frobnicate");

        Assert.Equal(2, exitCode);
        Assert.Contains("--frobnicate", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpPrintsUsageAndExitsZero()
    {
        var (exitCode, stdout, _) = await RunAgentAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--once", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAgentShipsNoAppsettingsJson()
    {
        // The hub references the agent; an agent appsettings.json would overwrite the hub's in its output.
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(AgentDll)!, "appsettings.json")));
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAgentAsync(params string[] args) =>
        AgentExecutable.RunAsync(args);

    private static string AgentDll => AgentExecutable.Dll;
}
