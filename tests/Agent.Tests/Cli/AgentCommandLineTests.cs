using SysMon.Agent.Cli;

namespace SysMon.Agent.Tests.Cli;

public class AgentCommandLineTests
{
    [Fact]
    public void SwitchesMapToAgentConfigurationKeys()
    {
        var parsed = AgentCommandLine.Parse(
            ["--hub", "http://hub:5001", "--machine-id", "m1", "--interval=500", "--top", "5", "--proc-root", "/host/proc", "--sys-root", "/host/sys", "--once"]);

        Assert.Null(parsed.Error);
        Assert.True(parsed.Once);
        Assert.Equal("http://hub:5001", parsed.Settings["Agent:HubUrl"]);
        Assert.Equal("m1", parsed.Settings["Agent:MachineId"]);
        Assert.Equal("500", parsed.Settings["Agent:SampleIntervalMs"]);
        Assert.Equal("5", parsed.Settings["Agent:TopProcesses"]);
        Assert.Equal("/host/proc", parsed.Settings["Agent:ProcRoot"]);
        Assert.Equal("/host/sys", parsed.Settings["Agent:SysRoot"]);
    }

    [Fact]
    public void ReplaySwitchesMapToAgentConfigurationKeys()
    {
        var parsed = AgentCommandLine.Parse(
            ["--hub", "http://a:5001,http://b:5001", "--buffer-seconds", "600", "--ack-timeout=45"]);

        Assert.Null(parsed.Error);
        Assert.Equal("http://a:5001,http://b:5001", parsed.Settings["Agent:HubUrl"]);
        Assert.Equal("600", parsed.Settings["Agent:BufferSeconds"]);
        Assert.Equal("45", parsed.Settings["Agent:AckTimeoutSeconds"]);
    }

    [Fact]
    public void TagsMapToTheirKey()
    {
        var parsed = AgentCommandLine.Parse(["--tags", "prod,team:web"]);

        Assert.Null(parsed.Error);
        Assert.Equal("prod,team:web", parsed.Settings["Agent:Tags"]);
        Assert.Contains("--tags", AgentCommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void WatchProcessesMapToTheirKey()
    {
        var parsed = AgentCommandLine.Parse(["--watch-processes", "nginx,postgres"]);

        Assert.Null(parsed.Error);
        Assert.Equal("nginx,postgres", parsed.Settings["Agent:WatchProcesses"]);
        Assert.Equal("nginx", AgentCommandLine.Parse(["--watch-processes=nginx"]).Settings["Agent:WatchProcesses"]);
        Assert.Contains("--watch-processes", AgentCommandLine.Usage, StringComparison.Ordinal);
        Assert.Contains("(WatchProcesses)", AgentCommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void HostRootMapsToItsConfigurationKey()
    {
        var parsed = AgentCommandLine.Parse(["--host-root", "/host"]);

        Assert.Null(parsed.Error);
        Assert.Equal("/host", parsed.Settings["Agent:HostRoot"]);
        Assert.Contains("--host-root", AgentCommandLine.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsSwitchesMapToTheirKeysAndAllowPlaintextTakesNoValue()
    {
        var parsed = AgentCommandLine.Parse(["--allow-plaintext", "--ca-file", "/etc/ca.pem", "--hub-fingerprint", "AB:CD", "--hub", "http://a:5001"]);

        Assert.Null(parsed.Error);
        Assert.Equal("true", parsed.Settings["Agent:AllowPlaintext"]);
        Assert.Equal("/etc/ca.pem", parsed.Settings["Agent:CaFile"]);
        Assert.Equal("AB:CD", parsed.Settings["Agent:HubFingerprint"]);
        Assert.Equal("http://a:5001", parsed.Settings["Agent:HubUrl"]);
        Assert.All(["--allow-plaintext", "--ca-file", "--hub-fingerprint"], s => Assert.Contains(s, AgentCommandLine.Usage, StringComparison.Ordinal));
    }

    [Fact]
    public void UsageListsEverySwitch()
    {
        Assert.All(["--hub", "--buffer-seconds", "--ack-timeout", "--interval", "--top", "--once"],
            option => Assert.Contains(option, AgentCommandLine.Usage, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--buffer-seconds", "lots")]
    [InlineData("--ack-timeout", "-1")]
    [InlineData("--bogus")]
    [InlineData("--hub")]
    [InlineData("--interval", "fast")]
    [InlineData("--top", "-1")]
    [InlineData("positional")]
    [InlineData("--config")]
    [InlineData("--check=yes")]
    [InlineData("--watch-processes")]
    public void UnusableCommandLinesAreRejectedWithAReason(params string[] args)
    {
        var parsed = AgentCommandLine.Parse(args);

        Assert.NotNull(parsed.Error);
        Assert.Empty(parsed.Settings);
    }

    [Fact]
    public void DaemonSwitchesMapToAgentConfigurationKeys()
    {
        var parsed = AgentCommandLine.Parse(
            ["--config", "/etc/sysmon/agent.json", "--token-file", "/run/credentials/token", "--token=abc",
             "--disable", "gpu,containers", "--log-level", "Debug", "--log-format=json"]);

        Assert.Null(parsed.Error);
        Assert.Equal(AgentCommand.Run, parsed.Command);
        Assert.Equal("/etc/sysmon/agent.json", parsed.ConfigFile);
        Assert.False(parsed.Settings.ContainsKey("Agent:ConfigFile"));
        Assert.Equal("/run/credentials/token", parsed.Settings["Agent:TokenFile"]);
        Assert.Equal("abc", parsed.Settings["Agent:Token"]);
        Assert.Equal("gpu,containers", parsed.Settings["Agent:DisabledCollectors"]);
        Assert.Equal("Debug", parsed.Settings["Agent:LogLevel"]);
        Assert.Equal("json", parsed.Settings["Agent:LogFormat"]);
    }

    [Theory]
    [InlineData(AgentCommand.Once, "--once")]
    [InlineData(AgentCommand.Check, "--check")]
    [InlineData(AgentCommand.ListCollectors, "--list-collectors")]
    [InlineData(AgentCommand.Version, "--version")]
    [InlineData(AgentCommand.Version, "-V")]
    [InlineData(AgentCommand.Help, "--check", "--help")]
    [InlineData(AgentCommand.Help, "-h", "--check")]
    public void CommandSwitchesChooseTheCommandAndHelpWins(AgentCommand expected, params string[] args)
    {
        Assert.Equal(expected, AgentCommandLine.Parse(args).Command);
    }

    [Fact]
    public void UsageListsEveryDaemonSwitch()
    {
        Assert.All(["--config", "--token", "--token-file", "--disable", "--check", "--version", "--list-collectors", "--log-level", "--log-format"],
            option => Assert.Contains(option, AgentCommandLine.Usage, StringComparison.Ordinal));
    }

    [Fact]
    public void HelpIsRecognised()
    {
        Assert.True(AgentCommandLine.Parse(["--help"]).ShowHelp);
    }
}
