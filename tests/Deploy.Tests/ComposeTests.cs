using SysMon.TestSupport;
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

    private static string NginxConfig => File.ReadAllText(NginxProcess.RepositoryConfig);

    private static IEnumerable<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => c.ToString());

    private static (string Published, string Target)[] Ports(YamlMappingNode service) =>
        [.. ((YamlSequenceNode)service["ports"]).Children.Cast<YamlMappingNode>().Select(p => (p["published"].ToString(), p["target"].ToString()))];

    private static string Condition(YamlMappingNode service, string dependency) =>
        ((YamlMappingNode)((YamlMappingNode)service["depends_on"])[dependency])["condition"].ToString();

    private static string Address(YamlMappingNode service) =>
        ((YamlMappingNode)((YamlMappingNode)service["networks"])["fleet"])["ipv4_address"].ToString();

    private static string[] HubUrls(YamlMappingNode agent)
    {
        var command = Strings(agent["command"]).ToList();
        var hub = command.IndexOf("--hub");
        Assert.True(hub >= 0 && hub + 1 < command.Count, $"the agent is given no --hub: {string.Join(' ', command)}");
        return command[hub + 1].Split(',');
    }

    [Fact]
    public async Task TheLoadBalancerPublishesTheDashboardAndTheAgentsPortWithTheRepositorysNginxConfig()
    {
        var lb = Service(await RenderAsync(ComposeFile), "lb");

        var image = lb["image"].ToString();
        Assert.StartsWith("nginx:", image, StringComparison.Ordinal);
        Assert.Null(DockerfileChecklist.BaseImageProblem(image));
        // Compose renders the bind mount with an absolute source: it must be this repository's file, read-only.
        var mount = Assert.Single(Strings(lb["volumes"]), v => v.Contains(":/etc/nginx/nginx.conf", StringComparison.Ordinal));
        Assert.Equal($"{NginxProcess.RepositoryConfig}:/etc/nginx/nginx.conf:ro", mount);
        Assert.Contains(("8080", "8080"), Ports(lb));
        Assert.Contains(("5001", "5001"), Ports(lb));
        // What the ports are inside: the dashboard's HTTP/1.1 with WebSockets, and gRPC's HTTP/2.
        Assert.Matches(@"(?m)^\s*listen 8080;", NginxConfig);
        Assert.Matches(@"(?m)^\s*listen 5001 http2;", NginxConfig);
        Assert.Matches(@"proxy_set_header Upgrade \$http_upgrade;", NginxConfig);
        Assert.Matches(@"grpc_pass grpc://", NginxConfig);
        // Round-robin only: any sticky method would hide a hub that cannot serve another hub's viewer.
        Assert.DoesNotMatch(@"(?m)^\s*(ip_hash|hash|sticky)\b", NginxConfig);
    }

    [Fact]
    public async Task RedisTheHubsAndTheLoadBalancerStartInOrderOfHealth()
    {
        var compose = await RenderAsync(ComposeFile);

        var redis = Service(compose, "redis");
        Assert.Contains("redis-cli ping", string.Join(' ', Strings(((YamlMappingNode)redis["healthcheck"])["test"])), StringComparison.Ordinal);
        foreach (var name in new[] { "hub-a", "hub-b" })
        {
            var hub = Service(compose, name);
            var test = Strings(((YamlMappingNode)hub["healthcheck"])["test"]).ToList();
            // The hub's own probe (the image has no curl), on readiness: the load balancer waits for hubs that reach Redis.
            Assert.Equal(new[] { "CMD", "dotnet", "SysMon.Hub.dll", "healthcheck", "http://127.0.0.1:5000/readyz" }, test);
            Assert.Equal("service_healthy", Condition(hub, "redis"));
        }
        var lb = Service(compose, "lb");
        Assert.Equal("service_healthy", Condition(lb, "hub-a"));
        Assert.Equal("service_healthy", Condition(lb, "hub-b"));
        Assert.Equal("service_completed_successfully", Condition(Service(compose, "agent"), "enroll"));
    }

    [Fact]
    public async Task TheAgentStreamsThroughTheLoadBalancerOrToBothHubs()
    {
        var compose = await RenderAsync(ComposeFile);
        var agent = Service(compose, "agent");

        var urls = HubUrls(agent).Select(u => new Uri(u)).ToList();
        if (urls is [{ Host: "lb" } lb])
        {
            Assert.Contains(Ports(Service(compose, "lb")), p => p.Target == lb.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Matches($@"(?m)^\s*listen {lb.Port} http2;", NginxConfig);
            Assert.Contains("lb", ((YamlMappingNode)agent["depends_on"]).Children.Keys.Select(k => k.ToString()));
        }
        else
        {
            Assert.Equal(new[] { "hub-a:5001", "hub-b:5001" }, urls.Select(u => u.Authority).Order());
        }
        Assert.Contains("--allow-plaintext", Strings(agent["command"]));
    }

    [Fact]
    public async Task TheAgentIsRootConfinedToReading()
    {
        // The image runs it as root (src/Agent/Dockerfile, "root-by-design"); Compose takes the rest away, as k8s/ does.
        var agent = Service(await RenderAsync(ComposeFile), "agent");

        Assert.Equal("true", agent["read_only"].ToString());
        Assert.Equal(new[] { "ALL" }, Strings(agent["cap_drop"]));
        Assert.Equal(new[] { "DAC_READ_SEARCH" }, Strings(agent["cap_add"]));
        Assert.Contains("no-new-privileges:true", Strings(agent["security_opt"]));
        Assert.Contains("/:/host:ro,rslave", Strings(agent["volumes"]));
    }

    [Fact]
    public async Task TheHubsBelieveForwardedHeadersFromTheLoadBalancerAlone()
    {
        var compose = await RenderAsync(ComposeFile);

        var lb = Address(Service(compose, "lb"));
        var subnet = ((YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)compose["networks"])["fleet"])["ipam"])["config"])[0])["subnet"].ToString();
        Assert.True(System.Net.IPNetwork.Parse(subnet).Contains(System.Net.IPAddress.Parse(lb)), $"{lb} is outside {subnet}");
        foreach (var name in new[] { "hub-a", "hub-b" })
        {
            var hub = Service(compose, name);
            var environment = (YamlMappingNode)hub["environment"];
            Assert.Equal(lb, environment["Security__TrustedProxies__0"].ToString());
            Assert.DoesNotContain(environment.Children.Keys, k => k.ToString() == "Security__TrustedProxies__1");
            // nginx resolves the hubs' names once: a recreated hub must come back at the same address.
            Assert.True(System.Net.IPNetwork.Parse(subnet).Contains(System.Net.IPAddress.Parse(Address(hub))));
            Assert.Matches($@"(?m)^\s*server {name}:5000;", NginxConfig);
        }
    }

    [Fact]
    public async Task PortsLogLevelAndTheNetworkComeFromTheEnvironment()
    {
        var directory = Directory.CreateTempSubdirectory("sysmon-compose-env-").FullName;
        try
        {
            var envFile = Path.Combine(directory, "fleet.env");
            await File.WriteAllTextAsync(envFile, "SYSMON_HTTP_PORT=18080\nSYSMON_GRPC_PORT=15001\nSYSMON_NET_PREFIX=10.123.45\nSYSMON_LOG_LEVEL=Debug\n");
            var result = await Tool.RunAsync("docker-compose", ["--env-file", envFile, "-f", ComposeFile, "config"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var yaml = new YamlStream();
            yaml.Load(new StringReader(result.Stdout));
            var compose = (YamlMappingNode)yaml.Documents[0].RootNode;

            var lb = Service(compose, "lb");
            Assert.Equal(new[] { ("18080", "8080"), ("15001", "5001") }, Ports(lb));
            Assert.Equal("10.123.45.10", Address(lb));
            var environment = (YamlMappingNode)Service(compose, "hub-b")["environment"];
            Assert.Equal("10.123.45.10", environment["Security__TrustedProxies__0"].ToString());
            Assert.Equal("Debug", environment["Logging__LogLevel__Default"].ToString());
            Assert.Equal("hub-b", environment["Hub__InstanceId"].ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task TheLoadBalancerConfigurationStartsInNginx()
    {
        // The file the lb service mounts, started by a real nginx (the end-to-end LoadBalancerTests send traffic through it).
        var upstreams = new Dictionary<string, string>
        {
            ["hub-a:5000"] = $"127.0.0.1:{FreePort.Next()}",
            ["hub-b:5000"] = $"127.0.0.1:{FreePort.Next()}",
            ["hub-a:5001"] = $"127.0.0.1:{FreePort.Next()}",
            ["hub-b:5001"] = $"127.0.0.1:{FreePort.Next()}",
        };
        await using var nginx = await NginxProcess.StartAsync(upstreams);
        Assert.Equal(new[] { 5001, 8080 }, nginx.Ports.Keys.Order());

        // No hub behind it: nginx itself answers, with 502.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(nginx.Url(8080), "healthz")).WithTimeout();
        Assert.Equal(System.Net.HttpStatusCode.BadGateway, response.StatusCode);
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
