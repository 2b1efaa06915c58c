using System.Diagnostics;
using System.Text.Json;

namespace SysMon.Agent.Tests.Cli;

/// <summary>Runs the built sysmon-agent.dll the way an operator would.</summary>
public class OnceCommandEndToEndTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);

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

    private static string AgentDll
    {
        get
        {
            // The agent's own build output (UseArtifactsOutput: artifacts/bin/<project>/<configuration>/), not the
            // copy next to the tests: this project also references ASP.NET Core for its fake hubs, so the Hosting
            // assemblies the agent needs come from that shared framework here and are not copied beside the tests.
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(testOutput.Parent!.Parent!.FullName, "SysMon.Agent", testOutput.Name, "sysmon-agent.dll");
            Assert.True(File.Exists(path), $"{path} is missing: build the solution first.");
            Assert.True(File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")), "sysmon-agent.runtimeconfig.json is missing.");
            return path;
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAgentAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(AgentDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Keep the host's own configuration out of the test.
        start.Environment.Remove("Agent__HubUrl");
        start.Environment.Remove("Agent__MachineId");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(s_deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sysmon-agent {string.Join(' ', args)} did not exit within {s_deadline}.");
        }

        return (process.ExitCode, await stdout.WaitAsync(s_deadline), await stderr.WaitAsync(s_deadline));
    }
}
