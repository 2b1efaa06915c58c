using System.Diagnostics;
using System.Text.Json;
using SysMon.Agent.Tests.Cli;

namespace SysMon.Agent.Tests.Packaging;

/// <summary>
/// packaging/macos: the install script staged into a directory with <c>--root</c>, here on Linux. plutil, launchctl,
/// codesign and <c>--check</c> only run on a Mac; the plist is read back with Python's plistlib, a real property list
/// parser, so a value that breaks the XML fails here rather than at <c>launchctl bootstrap</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MacPackagingTests : IDisposable
{
    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode644 = Mode600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode755 = Mode644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    // Where the daemon finds its files on the Mac; the staged copies are the same paths under the --root directory.
    private const string BinaryPath = "/usr/local/sysmon/sysmon-agent";
    private const string SupportPath = "/Library/Application Support/SysMon";
    private const string ConfigPath = SupportPath + "/agent.json";
    private const string TokenPath = SupportPath + "/agent.token";
    private const string PlistPath = "/Library/LaunchDaemons/io.sysmon.agent.plist";

    private readonly string _directory = Directory.CreateTempSubdirectory("sysmon-macos-package-").FullName;
    private readonly string _root;
    private readonly string _binary;

    public MacPackagingTests()
    {
        _root = Path.Join(_directory, "root");
        // The script only copies the binary when staging (no --check), so any file stands in for it.
        _binary = Path.Join(_directory, "sysmon-agent");
        File.WriteAllText(_binary, "#!/bin/sh\necho stand-in for sysmon-agent\n");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Script => Path.Join(RepoRoot, "packaging", "macos", "install.sh");

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

    private string Staged(string path) => _root + path;

    [Fact]
    public async Task TheInstallScriptStagesBinarySettingsTokenAndLaunchDaemonWithTheRightModes()
    {
        var token = Path.Join(_directory, "token");
        File.WriteAllText(token, "s3cret\n");

        var (exitCode, output) = await InstallAsync("--hub", "http://hub-a:5001, http://hub-b:5001", "--token-file", token,
            "--allow-plaintext", "--tags", "prod,team:web", "--watch-processes", "nginx,postgres");

        Assert.True(exitCode == 0, output);
        Assert.Equal(Mode755, File.GetUnixFileMode(Staged(BinaryPath)));
        Assert.Equal(File.ReadAllText(_binary), File.ReadAllText(Staged(BinaryPath)));
        Assert.Equal(Mode600, File.GetUnixFileMode(Staged(TokenPath)));
        Assert.Equal("s3cret\n", File.ReadAllText(Staged(TokenPath)));
        Assert.Equal(Mode600, File.GetUnixFileMode(Staged(ConfigPath)));
        Assert.Equal(Mode644, File.GetUnixFileMode(Staged(PlistPath)));

        using (var json = JsonDocument.Parse(File.ReadAllText(Staged(ConfigPath))))
        {
            Assert.Equal(["http://hub-a:5001", "http://hub-b:5001"],
                json.RootElement.GetProperty("HubUrl").EnumerateArray().Select(e => e.GetString()));
            Assert.True(json.RootElement.GetProperty("AllowPlaintext").GetBoolean(), "plain http:// to other hosts was chosen explicitly");
            Assert.Equal("prod,team:web", json.RootElement.GetProperty("Tags").GetString());
            Assert.Equal("nginx,postgres", json.RootElement.GetProperty("WatchProcesses").GetString());
        }

        var plist = await ReadPlistAsync();
        Assert.Equal("io.sysmon.agent", plist.GetProperty("Label").GetString());
        string[] arguments = [BinaryPath, "--config", ConfigPath, "--state-dir", SupportPath, "--token-file", TokenPath];
        Assert.Equal(arguments, ProgramArguments(plist));
        Assert.True(plist.GetProperty("RunAtLoad").GetBoolean());
        Assert.True(plist.GetProperty("KeepAlive").GetBoolean());
        Assert.Equal(10, plist.GetProperty("ThrottleInterval").GetInt32());
        Assert.Equal("/Library/Logs/sysmon-agent.log", plist.GetProperty("StandardErrorPath").GetString());

        // The agent accepts the arguments launchd would start it with, pointed at the staged files.
        var (agentExit, stdout, stderr) = await AgentExecutable.RunAsync(
            [.. arguments.Skip(1).Select(a => a.StartsWith('/') ? Staged(a) : a), "--list-collectors"]);
        Assert.True(agentExit == 0, stdout + stderr);
    }

    [Fact]
    public async Task TheCaFileIsCopiedBesideTheSettingsAndNamedInThemWithTheFingerprint()
    {
        var ca = Path.Join(_directory, "ca.pem");
        File.WriteAllText(ca, "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n");

        var (exitCode, output) = await InstallAsync("--hub", "https://hub:5001", "--ca-file", ca, "--hub-fingerprint", "AB:cd:01");

        Assert.True(exitCode == 0, output);
        Assert.Equal(File.ReadAllText(ca), File.ReadAllText(Staged(SupportPath + "/hub-ca.pem")));
        Assert.Equal(Mode644, File.GetUnixFileMode(Staged(SupportPath + "/hub-ca.pem")));
        using var json = JsonDocument.Parse(File.ReadAllText(Staged(ConfigPath)));
        Assert.Equal(SupportPath + "/hub-ca.pem", json.RootElement.GetProperty("CaFile").GetString());
        Assert.Equal("AB:cd:01", json.RootElement.GetProperty("HubFingerprint").GetString());
        Assert.False(json.RootElement.TryGetProperty("AllowPlaintext", out _), "plain http:// was not asked for");
        // No token: the daemon is not told to read one.
        Assert.Equal([BinaryPath, "--config", ConfigPath, "--state-dir", SupportPath], ProgramArguments(await ReadPlistAsync()));
    }

    [Fact]
    public async Task ReinstallingWithoutAHubKeepsTheOperatorsSettingsAndATokenGivenLaterReachesTheDaemon()
    {
        Assert.Equal(0, (await InstallAsync("--hub", "https://first:5001")).ExitCode);
        File.WriteAllText(Staged(ConfigPath), """{"HubUrl": "https://edited-by-hand:5001"}""");
        var token = Path.Join(_directory, "token");
        File.WriteAllText(token, "later\n");

        var (exitCode, output) = await InstallAsync("--token-file", token);

        Assert.True(exitCode == 0, output);
        Assert.Contains("edited-by-hand", File.ReadAllText(Staged(ConfigPath)), StringComparison.Ordinal);
        Assert.Equal(Mode600, File.GetUnixFileMode(Staged(TokenPath)));
        Assert.Equal([BinaryPath, "--config", ConfigPath, "--state-dir", SupportPath, "--token-file", TokenPath],
            ProgramArguments(await ReadPlistAsync()));
    }

    [Fact]
    public async Task UninstallKeepsTheSettingsAndUninstallPurgeRemovesEverythingStaged()
    {
        var token = Path.Join(_directory, "token");
        File.WriteAllText(token, "s3cret\n");
        var ca = Path.Join(_directory, "ca.pem");
        File.WriteAllText(ca, "stand-in\n");
        Assert.Equal(0, (await InstallAsync("--hub", "https://hub:5001", "--token-file", token, "--ca-file", ca)).ExitCode);
        // What the running daemon adds: its enrollment credential and log.
        File.WriteAllText(Staged(SupportPath + "/credential"), "smc_stand-in\n");
        File.WriteAllText(Staged("/Library/Logs/sysmon-agent.log"), "started\n");

        var (exitCode, output) = await RunAsync("bash", Script, "--root", _root, "--uninstall");

        Assert.True(exitCode == 0, output);
        Assert.Contains("settings kept in /Library/Application Support/SysMon", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Staged(BinaryPath)));
        Assert.False(File.Exists(Staged(PlistPath)));
        Assert.True(File.Exists(Staged(ConfigPath)));
        Assert.True(File.Exists(Staged(TokenPath)));

        (exitCode, output) = await RunAsync("bash", Script, "--root", _root, "--uninstall", "--purge");

        Assert.True(exitCode == 0, output);
        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Staged(SupportPath)));
        Assert.False(Directory.Exists(Staged("/usr/local/sysmon")));
    }

    [Theory]
    [InlineData("--tags", "prod\",\"HubUrl\": \"http://evil:5001")]
    [InlineData("--tags", "team<web>")]
    [InlineData("--tags", "r&d")]
    [InlineData("--tags", "prod\nteam:web")]
    [InlineData("--watch-processes", "nginx\",\"HubUrl\": \"http://evil:5001")]
    [InlineData("--watch-processes", "nginx\\")]
    [InlineData("--watch-processes", "nginx\npostgres")]
    [InlineData("--watch-processes", "nginx\u0001")]
    [InlineData("--watch-processes", "nginx\u007f")]
    [InlineData("--hub", "https://hub:5001\", \"AllowPlaintext\": true, \"Tags\": \"x")]
    [InlineData("--hub", "https://hub:5001\\")]
    [InlineData("--hub", "https://hub:5001\nhttp://evil:5001")]
    [InlineData("--hub", "https://hub:5001/a b")]
    [InlineData("--hub", "hub:5001")]
    [InlineData("--hub", " , ")]
    [InlineData("--hub-fingerprint", "AB\"CD")]
    public async Task TheInstallScriptRefusesValuesThatCouldBreakOutOfTheSettingsFileBeforeWritingAnything(string option, string value)
    {
        var (exitCode, output) = await InstallAsync(option, value);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{option} takes", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_root), "nothing is staged when a value is refused");
    }

    [Theory]
    [InlineData("--watch-processes", "a<b&c>'d")]
    [InlineData("--watch-processes", "]]><!--x-->,&amp;")]
    [InlineData("--hub", "https://hub:5001/?a=<b>&c='d'")]
    public async Task MarkupInValuesThatMayHoldItReachesTheSettingsVerbatimAndLeavesThePlistIntact(string option, string value)
    {
        var (exitCode, output) = await InstallAsync(option, value);

        Assert.True(exitCode == 0, output);
        using (var json = JsonDocument.Parse(File.ReadAllText(Staged(ConfigPath))))
        {
            var written = option == "--hub"
                ? json.RootElement.GetProperty("HubUrl").EnumerateArray().Single().GetString()
                : json.RootElement.GetProperty("WatchProcesses").GetString();
            Assert.Equal(value, written);
        }

        Assert.Equal([BinaryPath, "--config", ConfigPath, "--state-dir", SupportPath], ProgramArguments(await ReadPlistAsync()));
    }

    [Fact]
    public async Task TheInstallScriptRefusesAMissingBinaryWithTheCommandThatBuildsOne()
    {
        var (exitCode, output) = await RunAsync("bash", Script, "--root", _root, "--binary", Path.Join(_directory, "none"));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("dotnet publish src/Agent -c Release -p:PublishProfile=osx-", output, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output)> InstallAsync(params string[] options) =>
        RunAsync("bash", [Script, "--root", _root, "--binary", _binary, .. options]);

    private static string[] ProgramArguments(JsonElement plist) =>
        [.. plist.GetProperty("ProgramArguments").EnumerateArray().Select(e => e.GetString() ?? "(not a string)")];

    /// <summary>The staged plist as plistlib reads it (the parser behind Python's own plist handling), turned into JSON.</summary>
    private async Task<JsonElement> ReadPlistAsync()
    {
        var (exitCode, output) = await RunAsync("python3", "-c",
            "import json, plistlib, sys\nwith open(sys.argv[1], 'rb') as f: print(json.dumps(plistlib.load(f, fmt=plistlib.FMT_XML)))",
            Staged(PlistPath));
        Assert.True(exitCode == 0, $"the plist is not a valid property list: {output}");
        using var json = JsonDocument.Parse(output);
        return json.RootElement.Clone();
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
        using var timeout = new CancellationTokenSource(AgentExecutable.Deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not exit within {AgentExecutable.Deadline}.");
        }

        return (process.ExitCode, await stdout.WaitAsync(AgentExecutable.Deadline) + await stderr.WaitAsync(AgentExecutable.Deadline));
    }
}
