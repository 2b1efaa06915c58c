using YamlDotNet.RepresentationModel;
using Xunit;

namespace SysMon.Deploy.Tests;

/// <summary>
/// docker-compose.yml as Compose itself reads it: Debian's docker-compose renders and checks it without an
/// engine (`config`), which catches unknown keys and wrong types; the rendered file is then checked for what
/// the fleet on one laptop needs.
/// </summary>
public sealed class ComposeTests
{
    private static string ComposeFile => Path.Combine(SysMon.TestSupport.RepoPaths.Root, "docker-compose.yml");

    internal static async Task<YamlMappingNode> RenderAsync(string file)
    {
        var result = await Tool.RunAsync("docker-compose", ["-f", file, "config"], workingDirectory: Path.GetDirectoryName(file));
        Assert.True(result.ExitCode == 0, $"docker-compose config refused {file}:\n{result}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(result.Stdout));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    internal static YamlMappingNode Service(YamlMappingNode compose, string name) =>
        (YamlMappingNode)((YamlMappingNode)compose["services"])[name];

    [Fact]
    public async Task ComposeAcceptsTheFileAndItHasRedisWithPersistenceTwoHubsAndAnAgentOnTheHost()
    {
        var compose = await RenderAsync(ComposeFile);

        var redis = Service(compose, "redis");
        Assert.Contains("--appendonly", redis["command"].ToString(), StringComparison.Ordinal);
        Assert.Contains("/data", redis["volumes"].ToString(), StringComparison.Ordinal);
        foreach (var hub in new[] { "hub-a", "hub-b" })
        {
            var environment = (YamlMappingNode)Service(compose, hub)["environment"];
            Assert.Equal("redis:6379", environment["ConnectionStrings__Redis"].ToString());
        }
        var agent = Service(compose, "agent");
        Assert.Equal("host", agent["pid"].ToString());
        Assert.Contains("/:/host:ro", agent["volumes"].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyComposeDoesNotKnowFailsTheCheck()
    {
        // The check above is only worth something if a mistake fails it.
        var broken = Path.Combine(Path.GetTempPath(), $"sysmon-compose-{Guid.NewGuid():N}");
        Directory.CreateDirectory(broken);
        try
        {
            var text = await File.ReadAllTextAsync(ComposeFile);
            var file = Path.Combine(broken, "docker-compose.yml");
            await File.WriteAllTextAsync(file, text.Replace("  redis:\n    image:", "  redis:\n    imagee: typo\n    image:", StringComparison.Ordinal));
            var result = await Tool.RunAsync("docker-compose", ["-f", file, "config", "-q"], workingDirectory: broken);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("imagee", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }
}
