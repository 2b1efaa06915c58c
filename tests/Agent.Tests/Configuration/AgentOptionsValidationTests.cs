using SysMon.Agent.Collectors;
using SysMon.Agent.Configuration;

namespace SysMon.Agent.Tests.Configuration;

public class AgentOptionsValidationTests
{
    private static AgentOptions Valid() => new() { HubUrl = "https://hub:5001" };

    [Fact]
    public void TheDefaultsAreValid()
    {
        Assert.Empty(AgentOptionsValidation.Validate(new AgentOptions()));
    }

    [Theory]
    [InlineData("SampleIntervalMs", 100, "SampleIntervalMs is 100; it must be 250..60000 ms.")]
    [InlineData("SampleIntervalMs", 60_001, "SampleIntervalMs is 60001; it must be 250..60000 ms.")]
    [InlineData("TopProcesses", 101, "TopProcesses is 101; it must be 0..100 processes.")]
    [InlineData("BufferSeconds", -1, "BufferSeconds is -1; it must be 0..86400 s.")]
    [InlineData("AckTimeoutSeconds", -5, "AckTimeoutSeconds is -5; it must be 0..3600 s.")]
    public void OutOfRangeNumbersAreErrorsNotSilentlyClamped(string name, int value, string expected)
    {
        var options = Valid();
        typeof(AgentOptions).GetProperty(name)!.SetValue(options, value);

        Assert.Equal([expected], AgentOptionsValidation.Validate(options));
    }

    [Fact]
    public void EveryBadHubAddressIsNamed()
    {
        var options = Valid();
        options.HubUrl = "https://ok:5001, hub:5001 ,ftp://x";

        var errors = AgentOptionsValidation.Validate(options);

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("'hub:5001'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'ftp://x'", StringComparison.Ordinal));
    }

    [Fact]
    public void NoHubIsAnErrorOnlyForCommandsThatStream()
    {
        var options = Valid();
        options.HubUrl = " ";

        Assert.Contains("HubUrl is empty", Assert.Single(AgentOptionsValidation.Validate(options)), StringComparison.Ordinal);
        Assert.Empty(AgentOptionsValidation.Validate(options, needsHub: false));
    }

    [Fact]
    public void AnUnknownCollectorIsAnErrorThatListsTheKnownOnes()
    {
        var options = Valid();
        options.DisabledCollectors = "cpu, gpus";

        var error = Assert.Single(AgentOptionsValidation.Validate(options));

        Assert.Contains("'gpus'", error, StringComparison.Ordinal);
        Assert.Contains("processes", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prod,Team:Web", null)]
    [InlineData(" prod , prod ,", null)]
    [InlineData("prod,a b", "'a b'")]
    [InlineData("<script>", "'<script>'")]
    public void TagsFollowTheRuleTheHubApplies(string tags, string? named)
    {
        var options = Valid();
        options.Tags = tags;

        var errors = AgentOptionsValidation.Validate(options);

        if (named is null)
        {
            Assert.Empty(errors);
            return;
        }
        var error = Assert.Single(errors);
        Assert.StartsWith("Tags: Invalid tag " + named, error, StringComparison.Ordinal);
        Assert.Contains("lower-case letters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TagsGoIntoTheHelloNormalised()
    {
        var options = Valid();
        options.Tags = "Prod, team:web,prod";

        var hello = SystemInfo.ReadPlatformHello(options, "m1", 1000, ["cpu"]);

        Assert.Equal(["prod", "team:web"], hello.Tags);
    }

    [Theory]
    [InlineData("nginx", null)]
    [InlineData(" nginx , postgres ,nginx", null)]
    [InlineData("Web Content,containerd-shim-runc-v2,ünïcode", null)]
    [InlineData("", null)]
    [InlineData("nginx,,postgres", "An empty name")]
    [InlineData("nginx,", "An empty name")]
    [InlineData("ng\u0007inx", "Invalid name 'ng\\u0007inx'")]
    public void WatchProcessesFollowTheRuleTheHubApplies(string names, string? problem)
    {
        var options = Valid();
        options.WatchProcesses = names;

        var errors = AgentOptionsValidation.Validate(options);

        if (problem is null)
        {
            Assert.Empty(errors);
            return;
        }
        var error = Assert.Single(errors);
        Assert.StartsWith("WatchProcesses: " + problem, error, StringComparison.Ordinal);
        Assert.Contains("without control characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyOrTooLongWatchedNamesAreErrors()
    {
        var tooMany = Valid();
        tooMany.WatchProcesses = string.Join(',', Enumerable.Range(0, 65).Select(i => $"p{i}"));
        var tooLong = Valid();
        tooLong.WatchProcesses = "nginx," + new string('x', 65);
        var longest = Valid();
        longest.WatchProcesses = string.Join(',', Enumerable.Range(0, 64).Select(i => $"{i}".PadLeft(64, 'p')));

        Assert.StartsWith("WatchProcesses: 65 names: at most 64", Assert.Single(AgentOptionsValidation.Validate(tooMany)), StringComparison.Ordinal);
        Assert.StartsWith("WatchProcesses: Invalid name 'xxx", Assert.Single(AgentOptionsValidation.Validate(tooLong)), StringComparison.Ordinal);
        Assert.Empty(AgentOptionsValidation.Validate(longest));
    }

    [Fact]
    public void WatchedNamesKeepTheirOrderWithoutDuplicates()
    {
        var options = Valid();
        options.WatchProcesses = "postgres, nginx,postgres,Nginx";

        Assert.Equal(["postgres", "nginx", "Nginx"], options.WatchProcessNames);
        Assert.Empty(new AgentOptions().WatchProcessNames);
    }

    [Fact]
    public void WatchingProcessesWithTheProcessesCollectorOffIsAnError()
    {
        var options = Valid();
        options.WatchProcesses = "nginx";
        options.DisabledCollectors = "gpu,Processes";

        Assert.StartsWith("WatchProcesses: the processes collector is switched off",
            Assert.Single(AgentOptionsValidation.Validate(options)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("naïve")]
    public void ATokenThatCannotBeAHeaderValueIsAnError(string token)
    {
        var options = Valid();
        options.Token = token;

        Assert.StartsWith("Token ", Assert.Single(AgentOptionsValidation.Validate(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void TokenAndTokenFileTogetherAreAnError()
    {
        var options = Valid();
        options.Token = "abc";
        options.TokenFile = "/etc/sysmon/token";

        Assert.Equal(["Token and TokenFile are both set: set one."], AgentOptionsValidation.Validate(options));
    }

    [Fact]
    public void ATokenFileIsReadAndTrimmed()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "  s3cr3t-token\n");
            var options = Valid();
            options.TokenFile = file;

            Assert.Null(AgentOptionsValidation.LoadTokenFile(options));
            Assert.Equal("s3cr3t-token", options.Token);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AnUnreadableTokenFileIsAnErrorNamingIt()
    {
        var options = Valid();
        options.TokenFile = "/nonexistent/sysmon-token";

        Assert.Contains("/nonexistent/sysmon-token", AgentOptionsValidation.LoadTokenFile(options), StringComparison.Ordinal);
    }

    [Fact]
    public void LevelsFormatsAndRootsAreChecked()
    {
        var options = Valid();
        options.LogLevel = "Loud";
        options.LogFormat = "xml";
        options.ProcRoot = "/nonexistent/proc";

        var errors = AgentOptionsValidation.Validate(options);

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("LogLevel 'Loud'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("LogFormat 'xml'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ProcRoot", StringComparison.Ordinal));
    }

    [Fact]
    public void ATokenBoundForAPlaintextRemoteHubIsPointedOut()
    {
        var options = new AgentOptions { HubUrl = "http://localhost:5001,http://hub:5001,https://secure:5001", Token = "t" };

        Assert.Equal(["http://hub:5001"], AgentOptionsValidation.CleartextTokenHubs(options));
    }

    [Fact]
    public void PlainHttpToAnotherHostMustBeChosenExplicitly()
    {
        var plain = new AgentOptions { HubUrl = "http://hub:5001,http://127.0.0.1:5001,http://localhost:5001,https://secure:5001" };

        var errors = AgentOptionsValidation.Validate(plain);

        var error = Assert.Single(errors);
        Assert.StartsWith("HubUrl: http://hub:5001 is plain HTTP/2 to another host", error, StringComparison.Ordinal);
        Assert.Contains("--allow-plaintext", error, StringComparison.Ordinal);
        plain.AllowPlaintext = true;
        Assert.Empty(AgentOptionsValidation.Validate(plain));
        // Commands that never stream do not care.
        Assert.Empty(AgentOptionsValidation.Validate(new AgentOptions { HubUrl = "http://hub:5001" }, needsHub: false));
    }
}
