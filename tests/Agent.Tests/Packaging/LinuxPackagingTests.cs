using System.Diagnostics;
using System.Text.Json;
using SysMon.Agent.Tests.Cli;

namespace SysMon.Agent.Tests.Packaging;

/// <summary>packaging/linux: the install script staged into a directory, and the systemd unit checked by systemd's own tools.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LinuxPackagingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sysmon-package-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string RepoRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Join(directory.FullName, "SysMon.sln")))
            {
                directory = directory.Parent;
            }

            Assert.NotNull(directory);
            return directory.FullName;
        }
    }

    private static string Script => Path.Join(RepoRoot, "packaging", "linux", "install.sh");

    private static string Unit => Path.Join(RepoRoot, "packaging", "linux", "sysmon-agent.service");

    [Fact]
    public async Task TheInstallScriptStagesBinarySettingsTokenAndUnitWithTheRightModes()
    {
        var root = Path.Join(_directory, "root");
        var token = Path.Join(_directory, "token");
        File.WriteAllText(token, "s3cret\n");

        var (exitCode, output) = await RunAsync("bash", Script, "--root", root, "--binary", AgentExecutable.Dll,
            "--hub", "http://hub-a:5001, http://hub-b:5001", "--token-file", token, "--allow-plaintext", "--tags", "prod,team:web",
            "--watch-processes", "nginx,postgres");

        Assert.True(exitCode == 0, output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Join(root, "usr/local/bin/sysmon-agent")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Join(root, "etc/sysmon/agent.token")));
        Assert.Equal(File.ReadAllText(Unit), File.ReadAllText(Path.Join(root, "etc/systemd/system/sysmon-agent.service")));
        var dropIn = File.ReadAllText(Path.Join(root, "etc/systemd/system/sysmon-agent.service.d/token.conf"));
        Assert.Contains("LoadCredential=token:/etc/sysmon/agent.token", dropIn, StringComparison.Ordinal);
        Assert.Contains("Environment=Agent__TokenFile=%d/token", dropIn, StringComparison.Ordinal);

        var config = Path.Join(root, "etc/sysmon/agent.json");
        using (var json = JsonDocument.Parse(File.ReadAllText(config)))
        {
            Assert.Equal(["http://hub-a:5001", "http://hub-b:5001"],
                json.RootElement.GetProperty("HubUrl").EnumerateArray().Select(e => e.GetString()));
            Assert.True(json.RootElement.GetProperty("AllowPlaintext").GetBoolean(), "plain http:// to other hosts was chosen explicitly");
            Assert.Equal("prod,team:web", json.RootElement.GetProperty("Tags").GetString());
            Assert.Equal("nginx,postgres", json.RootElement.GetProperty("WatchProcesses").GetString());
        }

        // The agent itself accepts the settings file the script wrote.
        var (agentExit, stdout, stderr) = await AgentExecutable.RunAsync(["--config", config, "--list-collectors"]);
        Assert.True(agentExit == 0, stdout + stderr);
    }

    [Fact]
    public async Task ReinstallingWithoutAHubKeepsTheOperatorsSettingsAndUninstallPurgeRemovesEverything()
    {
        var root = Path.Join(_directory, "root");
        Assert.Equal(0, (await RunAsync("bash", Script, "--root", root, "--binary", AgentExecutable.Dll, "--hub", "http://first:5001")).ExitCode);
        var config = Path.Join(root, "etc/sysmon/agent.json");
        File.WriteAllText(config, """{"HubUrl": "http://edited-by-hand:5001"}""");

        Assert.Equal(0, (await RunAsync("bash", Script, "--root", root, "--binary", AgentExecutable.Dll)).ExitCode);
        Assert.Contains("edited-by-hand", File.ReadAllText(config), StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("bash", Script, "--root", root, "--uninstall", "--purge")).ExitCode);
        Assert.False(File.Exists(Path.Join(root, "usr/local/bin/sysmon-agent")));
        Assert.False(File.Exists(Path.Join(root, "etc/systemd/system/sysmon-agent.service")));
        Assert.False(Directory.Exists(Path.Join(root, "etc/sysmon")));
    }

    [Theory]
    [InlineData("nginx\",\"HubUrl\": \"http://evil:5001")]
    [InlineData("nginx\\")]
    [InlineData("nginx\npostgres")]
    public async Task TheInstallScriptRefusesWatchedNamesThatCouldBreakOutOfTheSettingsFile(string names)
    {
        var root = Path.Join(_directory, "root");

        var (exitCode, output) = await RunAsync("bash", Script, "--root", root, "--binary", AgentExecutable.Dll,
            "--hub", "http://hub:5001", "--watch-processes", names);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--watch-processes takes", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join(root, "etc/sysmon/agent.json")));
    }

    [Fact]
    public async Task TheInstallScriptRefusesAMissingBinaryWithTheCommandThatBuildsOne()
    {
        var (exitCode, output) = await RunAsync("bash", Script, "--root", Path.Join(_directory, "root"), "--binary", Path.Join(_directory, "none"));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("dotnet publish src/Agent", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemdFindsNoFaultInTheUnit()
    {
        // verify resolves ExecStart, so the unit is checked pointing at a binary that exists.
        var unit = Path.Join(_directory, "sysmon-agent.service");
        File.WriteAllText(unit, File.ReadAllText(Unit).Replace("/usr/local/bin/sysmon-agent", "/bin/true", StringComparison.Ordinal));

        var (exitCode, output) = await RunAsync("systemd-analyze", "verify", unit);

        Assert.True(exitCode == 0 && output.Trim().Length == 0, $"systemd-analyze verify: exit {exitCode}: {output}");
    }

    [Fact]
    public async Task TheUnitsHardeningRatesAsLowExposure()
    {
        // systemd's own scale: 0 (locked down) .. 10 (unprotected); "OK" is below 4. (systemd 252's --threshold exit
        // status depends on the working directory, so the score is read from the report instead.)
        var (exitCode, output) = await RunAsync("systemd-analyze", "security", "--offline=true", Unit);

        Assert.True(exitCode == 0, output);
        var match = System.Text.RegularExpressions.Regex.Match(output, @"Overall exposure level for sysmon-agent\.service: (\d+\.\d)");
        Assert.True(match.Success, output);
        Assert.InRange(double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0, 3.0);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(AgentExecutable.Deadline);
        return (process.ExitCode, await stdout.WaitAsync(AgentExecutable.Deadline) + await stderr.WaitAsync(AgentExecutable.Deadline));
    }
}
