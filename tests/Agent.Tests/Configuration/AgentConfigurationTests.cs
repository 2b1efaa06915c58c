using System.Reflection;
using Microsoft.Extensions.Configuration;
using SysMon.Agent.Cli;
using SysMon.Agent.Configuration;

namespace SysMon.Agent.Tests.Configuration;

public sealed class AgentConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sysmon-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AFileOfSettingsBecomesAgentKeysWithListsJoinedByCommas()
    {
        var errors = new List<string>();
        var settings = AgentConfiguration.ReadFile(
            """
            // comments and trailing commas are fine in a hand-written file
            {
              "HubUrl": ["http://a:5001", "http://b:5001"],
              "sampleIntervalMs": 2000,
              "DisabledCollectors": ["gpu", "containers"],
              "TokenFile": "/etc/sysmon/token",
              "MachineId": null,
            }
            """, "agent.json", errors);

        Assert.Empty(errors);
        Assert.Equal("http://a:5001,http://b:5001", settings["Agent:HubUrl"]);
        Assert.Equal("2000", settings["Agent:sampleIntervalMs"]);
        Assert.Equal("gpu,containers", settings["Agent:DisabledCollectors"]);
        Assert.Equal("/etc/sysmon/token", settings["Agent:TokenFile"]);
        Assert.False(settings.ContainsKey("Agent:MachineId"));
    }

    [Theory]
    [InlineData("""{"Hub": "http://a:5001"}""", "unknown setting 'Hub'")]
    [InlineData("""{"HubUrl": {"url": "x"}}""", "setting 'HubUrl' must be")]
    [InlineData("""["HubUrl"]""", "must hold one JSON object")]
    [InlineData("""{"HubUrl": "x" """, "is not valid JSON")]
    public void AFileWithAMistakeIsAnErrorNamingTheFileAndTheProblem(string json, string expected)
    {
        var errors = new List<string>();

        AgentConfiguration.ReadFile(json, "/etc/sysmon/agent.json", errors);

        var error = Assert.Single(errors);
        Assert.Contains("/etc/sysmon/agent.json", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCommandLineOverridesTheFile()
    {
        var file = Path.Join(_directory, "agent.json");
        File.WriteAllText(file, """{"HubUrl": "http://from-file:5001", "TopProcesses": 3}""");
        var commandLine = AgentCommandLine.Parse(["--config", file, "--hub", "http://from-flag:5001"]);
        var builder = new ConfigurationBuilder();

        var errors = AgentConfiguration.AddSources(builder, commandLine, _ => null);
        var options = AgentConfiguration.Bind(builder.Build(), errors);

        Assert.Empty(errors);
        Assert.Equal("http://from-flag:5001", options.HubUrl);
        Assert.Equal(3, options.TopProcesses);
    }

    [Fact]
    public void TheFileCanBeNamedByTheEnvironment()
    {
        var file = Path.Join(_directory, "agent.json");
        File.WriteAllText(file, """{"TopProcesses": 4}""");
        var builder = new ConfigurationBuilder();

        var errors = AgentConfiguration.AddSources(builder, AgentCommandLine.Parse([]),
            name => name == AgentConfiguration.ConfigFileVariable ? file : null);

        Assert.Empty(errors);
        Assert.Equal(4, AgentConfiguration.Bind(builder.Build(), errors).TopProcesses);
    }

    [Fact]
    public void ANamedFileThatDoesNotExistIsAnError()
    {
        var missing = Path.Join(_directory, "nope.json");

        var errors = AgentConfiguration.AddSources(new ConfigurationBuilder(), AgentCommandLine.Parse(["--config", missing]), _ => null);

        Assert.Contains(errors, e => e.Contains(missing, StringComparison.Ordinal));
    }

    [Fact]
    public void AValueOfTheWrongTypeIsAnErrorNotAnException()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Agent:TopProcesses"] = "ten" })
            .Build();
        var errors = new List<string>();

        AgentConfiguration.Bind(configuration, errors);

        Assert.Contains("TopProcesses", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void AMisspeltEnvironmentKeyIsReported()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Agent:HubURL"] = "x", ["Agent:Hubb"] = "y" })
            .Build();

        Assert.Equal(["Hubb"], AgentConfiguration.UnknownKeys(configuration));
    }

    [Fact]
    public void WatchProcessesComeFromTheFileAsAListLikeTags()
    {
        var errors = new List<string>();

        var settings = AgentConfiguration.ReadFile("""{"WatchProcesses": ["nginx", "postgres"]}""", "agent.json", errors);

        Assert.Empty(errors);
        Assert.Equal("nginx,postgres", settings["Agent:WatchProcesses"]);
    }

    [Fact]
    public void WatchProcessesComeFromIndexedEnvironmentVariables()
    {
        // A prefix of this test's own, so the process-wide environment reaches no other test.
        var prefix = $"SYSMON_TEST_{Guid.NewGuid():N}_";
        string[] indexes = ["0", "1", "10"];
        string[] names = ["nginx", "postgres", "redis-server"];
        for (var i = 0; i < indexes.Length; i++)
        {
            Environment.SetEnvironmentVariable(prefix + "Agent__WatchProcesses__" + indexes[i], names[i]);
        }

        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            var errors = new List<string>();

            var options = AgentConfiguration.Bind(configuration, errors);

            Assert.Empty(errors);
            Assert.Equal(names, options.WatchProcessNames);
            Assert.Empty(AgentConfiguration.UnknownKeys(configuration));
        }
        finally
        {
            foreach (var index in indexes)
            {
                Environment.SetEnvironmentVariable(prefix + "Agent__WatchProcesses__" + index, null);
            }
        }
    }

    [Fact]
    public void IndexedWatchProcessesKeepThePrecedenceOfTheirSource()
    {
        var file = new Dictionary<string, string?> { ["Agent:WatchProcesses"] = "from-file" };
        var environment = new Dictionary<string, string?> { ["Agent:WatchProcesses:0"] = "nginx", ["Agent:WatchProcesses:1"] = "postgres" };
        var commandLine = new Dictionary<string, string?> { ["Agent:WatchProcesses"] = "haproxy" };
        var errors = new List<string>();

        var overFile = AgentConfiguration.Bind(
            new ConfigurationBuilder().AddInMemoryCollection(file).AddInMemoryCollection(environment).Build(), errors);
        var underCommandLine = AgentConfiguration.Bind(
            new ConfigurationBuilder().AddInMemoryCollection(file).AddInMemoryCollection(environment).AddInMemoryCollection(commandLine).Build(), errors);

        Assert.Empty(errors);
        Assert.Equal("nginx,postgres", overFile.WatchProcesses);
        Assert.Equal("haproxy", underCommandLine.WatchProcesses);
    }

    [Fact]
    public void AWatchProcessesKeyThatIsNoListIndexIsAnError()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Agent:WatchProcesses:first"] = "nginx" })
            .Build();
        var errors = new List<string>();

        AgentConfiguration.Bind(configuration, errors);

        Assert.Contains("'Agent:WatchProcesses:first' is not a list entry", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void TheWatchProcessesSwitchOverridesTheFile()
    {
        var file = Path.Join(_directory, "agent.json");
        File.WriteAllText(file, """{"WatchProcesses": ["from-file"]}""");
        var builder = new ConfigurationBuilder();

        var errors = AgentConfiguration.AddSources(builder, AgentCommandLine.Parse(["--config", file, "--watch-processes", "nginx,postgres"]), _ => null);
        var options = AgentConfiguration.Bind(builder.Build(), errors);

        Assert.Empty(errors);
        Assert.Equal(["nginx", "postgres"], options.WatchProcessNames);
    }

    [Fact]
    public void EverySettingOfAgentOptionsIsAKnownKey()
    {
        // The key list is written out for NativeAOT (no reflection there); this keeps it complete.
        var properties = typeof(AgentOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => p.Name);

        Assert.Equal(properties.Order(StringComparer.Ordinal), AgentConfiguration.Keys.Order(StringComparer.Ordinal));
    }
}
