using Microsoft.AspNetCore.Hosting;
using SysMon.Hub.Ingest;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;
using Xunit;

namespace SysMon.Hub.Tests;

public class AgentMessageRulesTests
{
    private static Hello ValidHello() => new() { ProtocolVersion = 1, MachineId = "abc-123", Hostname = "web-1" };

    [Theory]
    [InlineData("abc", true)]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfda4", true)]
    [InlineData("host.example_1-2", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("semi;colon", false)]
    [InlineData("curly{brace}", false)]
    [InlineData("ünïcode", false)]
    public void MachineIdsArePlainAsciiTokens(string id, bool valid) => Assert.Equal(valid, MachineId.IsValid(id));

    [Fact]
    public void MachineIdsLongerThan128CharactersAreRefused()
    {
        Assert.True(MachineId.IsValid(new string('a', 128)));
        Assert.False(MachineId.IsValid(new string('a', 129)));
    }

    [Fact]
    public void HelloWithAnotherProtocolVersionIsRefusedWithBothVersionsNamed()
    {
        var hello = ValidHello();
        hello.ProtocolVersion = 2;

        var problem = AgentMessageRules.CheckHello(hello);

        Assert.NotNull(problem);
        Assert.Contains("2.0", problem, StringComparison.Ordinal);
        Assert.Contains($"speaks 1.{SysMon.Protocol.ProtocolVersion.Minor}", problem, StringComparison.Ordinal);
    }

    /// <summary>Agents one minor version older or newer than the hub work; further apart, the message says which side to upgrade.</summary>
    [Theory]
    [InlineData(3u, "upgrade the agent")]
    [InlineData(4u, null)]
    [InlineData(5u, null)]
    [InlineData(6u, null)]
    [InlineData(7u, "upgrade this hub first")]
    public void AgentsOneMinorVersionApartAreAcceptedAndFurtherOnesAreToldWhatToUpgrade(uint agentMinor, string? problem)
    {
        // A hub at 1.5, so that "two older" exists whatever this build's minor version is.
        var result = SysMon.Protocol.ProtocolVersion.Problem(1, agentMinor, 1, 5, "agent", "hub");
        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnAgentThatPredatesMinorVersionsAndOneAVersionAheadAreBothAccepted()
    {
        var old = ValidHello(); // protocol_minor absent: 1.0
        var next = ValidHello();
        next.ProtocolMinor = SysMon.Protocol.ProtocolVersion.Minor + 1;
        Assert.Null(AgentMessageRules.CheckHello(old));
        Assert.Null(AgentMessageRules.CheckHello(next));
    }

    [Fact]
    public void HelloTextIsTruncatedAndStrippedOfControlCharacters()
    {
        var hello = ValidHello();
        hello.Hostname = "evil\u001b[31mhost\n" + new string('x', 1000);

        Assert.Null(AgentMessageRules.CheckHello(hello));

        Assert.StartsWith("evil[31mhost", hello.Hostname, StringComparison.Ordinal);
        Assert.Equal(AgentMessageRules.MaxShortText, hello.Hostname.Length);
        Assert.DoesNotContain(hello.Hostname, char.IsControl);
    }

    [Fact]
    public void SampleWithTooManyProcessesIsRefused()
    {
        var sample = new Sample();
        for (var i = 0; i <= AgentMessageRules.MaxProcesses; i++)
        {
            sample.Processes.Add(new ProcessSample { Pid = i });
        }

        Assert.NotNull(AgentMessageRules.CheckSample(sample));
    }

    [Fact]
    public void SensorGpuAndContainerTextIsCleanedLikeEveryOtherAgentString()
    {
        var hostile = "evil\u001b[2J" + new string('x', 1000);
        var sample = new Sample();
        sample.Temperatures.Add(new TemperatureSample { Name = hostile });
        sample.Fans.Add(new FanSample { Name = hostile });
        sample.Gpus.Add(new GpuSample { Name = hostile, Uuid = hostile, Vendor = hostile });
        sample.Containers.Add(new ContainerSample { Id = hostile, Name = hostile, Runtime = hostile });
        sample.FailedCollectors.Add(hostile);

        Assert.Null(AgentMessageRules.CheckSample(sample));

        string[] cleaned =
        [
            sample.Temperatures[0].Name, sample.Fans[0].Name, sample.Gpus[0].Name, sample.Gpus[0].Uuid,
            sample.Gpus[0].Vendor, sample.Containers[0].Id, sample.Containers[0].Name, sample.Containers[0].Runtime,
            sample.FailedCollectors[0],
        ];
        Assert.All(cleaned, text =>
        {
            Assert.True(text.Length <= AgentMessageRules.MaxShortText);
            Assert.DoesNotContain('\u001b', text);
        });
    }

    [Fact]
    public void SampleWithTooManyGpusOrContainersIsRefused()
    {
        var gpus = new Sample();
        for (var i = 0; i <= AgentMessageRules.MaxGpus; i++)
        {
            gpus.Gpus.Add(new GpuSample { Index = (uint)i });
        }
        var containers = new Sample();
        for (var i = 0; i <= AgentMessageRules.MaxContainers; i++)
        {
            containers.Containers.Add(new ContainerSample { Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        Assert.Contains("GPUs", AgentMessageRules.CheckSample(gpus));
        Assert.Contains("containers", AgentMessageRules.CheckSample(containers));
    }

    [Fact]
    public void SampleWithTooManyWatchedProcessesIsRefused()
    {
        var sample = new Sample();
        for (var i = 0; i <= AgentMessageRules.MaxWatchedProcesses; i++)
        {
            sample.WatchedProcesses.Add(new WatchedProcessSample { Name = $"p{i}" });
        }

        Assert.Contains("watched processes", AgentMessageRules.CheckSample(sample), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ng\u001b[2Jinx")]
    [InlineData("nginx\n")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")] // 65
    public void AWatchedProcessNameOutsideTheRuleIsRefusedNotCleaned(string name)
    {
        var sample = new Sample();
        sample.WatchedProcesses.Add(new WatchedProcessSample { Name = "postgres", Count = 1 });
        sample.WatchedProcesses.Add(new WatchedProcessSample { Name = name });

        var problem = AgentMessageRules.CheckSample(sample);

        Assert.NotNull(problem);
        Assert.StartsWith("Watched processes: ", problem, StringComparison.Ordinal);
        Assert.Contains("1 to 64 characters", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(problem, char.IsControl);
    }

    [Fact]
    public void AWatchedProcessNameWithHalfASurrogatePairIsRefused()
    {
        // Not theory data: xUnit would turn the lone surrogate into U+FFFD on its way to the test.
        var sample = new Sample();
        sample.WatchedProcesses.Add(new WatchedProcessSample { Name = "nginx\ud800" });

        Assert.StartsWith("Watched processes: Invalid name 'nginx\\ud800'", AgentMessageRules.CheckSample(sample), StringComparison.Ordinal);
    }

    [Fact]
    public void AWatchedProcessNameTwiceIsRefused()
    {
        var sample = new Sample();
        sample.WatchedProcesses.Add(new WatchedProcessSample { Name = "nginx", Count = 2 });
        sample.WatchedProcesses.Add(new WatchedProcessSample { Name = "nginx", Count = 0 });

        Assert.Contains("'nginx' given twice", AgentMessageRules.CheckSample(sample), StringComparison.Ordinal);
    }

    [Fact]
    public void WatchedProcessesWithinTheRuleAreKeptAsSent()
    {
        var sample = new Sample();
        string[] names = ["nginx", "Web Content", "containerd-shim-runc-v2", "ünïcode \U0001F600", new string('x', 64)];
        foreach (var name in names)
        {
            sample.WatchedProcesses.Add(new WatchedProcessSample { Name = name, Count = 3 });
        }
        for (var i = sample.WatchedProcesses.Count; i < AgentMessageRules.MaxWatchedProcesses; i++)
        {
            sample.WatchedProcesses.Add(new WatchedProcessSample { Name = $"p{i}" });
        }

        Assert.Null(AgentMessageRules.CheckSample(sample));
        Assert.Equal(names, sample.WatchedProcesses.Take(names.Length).Select(w => w.Name));
    }

    [Fact]
    public void CleanLeavesOrdinaryTextUntouched()
    {
        const string text = "nginx: worker process";
        Assert.Same(text, AgentMessageRules.Clean(text, 256));
    }
}

public class EmbeddedAgentUrlTests
{
    [Theory]
    [InlineData("http://localhost:5001", "http://127.0.0.1:5001")]
    [InlineData("http://0.0.0.0:6001", "http://127.0.0.1:6001")]
    [InlineData("http://*:7001", "http://127.0.0.1:7001")]
    [InlineData("http://+:7002", "http://127.0.0.1:7002")]
    [InlineData("http://[::]:7003", "http://127.0.0.1:7003")]
    [InlineData("http://10.1.2.3:5001", "http://10.1.2.3:5001")]
    [InlineData(null, "http://127.0.0.1:5001")]
    public void EmbeddedAgentDialsTheHubsOwnGrpcEndpointOnLoopback(string? endpoint, string expected) =>
        Assert.Equal(expected, SysMon.Hub.Extensions.EmbeddedAgentExtensions.LoopbackUrl(endpoint));

    /// <summary>Names its own hub would refuse in every sample stop the hub at start, naming the setting.</summary>
    [Theory]
    [InlineData("EmbeddedAgent:WatchProcesses", "nginx,,cron", "EmbeddedAgent:WatchProcesses")]
    [InlineData("EmbeddedAgent:Tags", "Not A Tag!", "EmbeddedAgent:Tags")]
    public void TheHubsOwnAgentRefusesSettingsItsHubWouldRefuse(string key, string value, string named)
    {
        using var factory = new HubFactory();
        using var hub = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("EmbeddedAgent:Enabled", "true");
            b.UseSetting(key, value);
        });
        var error = Assert.Throws<InvalidOperationException>(() => hub.CreateClient());
        Assert.StartsWith(named, error.Message, StringComparison.Ordinal);
    }
}
