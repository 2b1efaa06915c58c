using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// The Compose fleet's load balancer with real processes: Redis, two hubs sharing it, and nginx running the
/// repository's deploy/nginx/nginx.conf in front of both (<see cref="NginxProcess"/>). Agents stream gRPC through
/// its HTTP/2 port, dashboards connect through its HTTP port the way the dashboard does (WebSockets only, no
/// negotiate request, so no sticky sessions), and the REST API answers through it. Each test builds its own
/// fleet, since some break it.
/// </summary>
[Collection(LoadBalancerCollection.Name)]
public sealed partial class LoadBalancerTests : IAsyncLifetime
{
    // The ports deploy/nginx/nginx.conf listens on; NginxProcess maps them to free loopback ports.
    private const int WebPort = 8080;
    private const int GrpcPort = 5001;

    private readonly RedisServer _redis = new();
    private HubProcess _a = null!;
    private HubProcess _b = null!;
    private NginxProcess _lb = null!;
    private string _token = "";

    private Uri LbWeb => _lb.Url(WebPort);
    private Uri LbGrpc => _lb.Url(GrpcPort);

    private static string NewId(string what) => $"lb-{what}-{Guid.NewGuid():N}"[..36];

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        // As in docker-compose.yml: the hubs believe X-Forwarded-For from the load balancer only (here, loopback).
        var settings = new Dictionary<string, string?> { ["Security__TrustedProxies__0"] = "127.0.0.1" };
        var hubs = await Task.WhenAll(
            HubProcess.StartAsync("hub-lb-a", _redis.ConnectionString, settings),
            HubProcess.StartAsync("hub-lb-b", _redis.ConnectionString, settings));
        (_a, _b) = (hubs[0], hubs[1]);
        _lb = await NginxProcess.StartAsync(new Dictionary<string, string>
        {
            ["hub-a:5000"] = $"127.0.0.1:{_a.WebPort}",
            ["hub-b:5000"] = $"127.0.0.1:{_b.WebPort}",
            ["hub-a:5001"] = $"127.0.0.1:{_a.GrpcPort}",
            ["hub-b:5001"] = $"127.0.0.1:{_b.GrpcPort}",
        });
        _token = await CreateApiTokenAsync();
    }

    public async Task DisposeAsync()
    {
        if (_lb is not null) await _lb.DisposeAsync();
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [GeneratedRegex(@"\bsmk_\S+")]
    private static partial Regex ApiTokenSecret();

    /// <summary>
    /// A read-only API token made with the hub's command line, as a script would get one. Requests through the
    /// balancer carry X-Forwarded-For, so they are never "this host" and need a credential even before users exist.
    /// </summary>
    private async Task<string> CreateApiTokenAsync()
    {
        await using var command = ChildProcess.Start("api-tokens create", "dotnet", [RepoPaths.HubDll, "api-tokens", "create", "load-balancer-test"],
            new Dictionary<string, string?> { ["ConnectionStrings__Redis"] = _redis.ConnectionString });
        Assert.True(await command.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, command.ToString());
        await Deadline.Until(() => ApiTokenSecret().IsMatch(command.Output), "the command prints the token");
        return ApiTokenSecret().Match(command.Output).Value;
    }

    private HttpClient Client(bool authenticated = true)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        if (authenticated)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }
        return http;
    }

    /// <summary>A gauge from one hub's /metrics, asked directly (not through the balancer, which would pick a hub).</summary>
    private async Task<double> MetricAsync(HubProcess hub, string name)
    {
        using var http = Client();
        var text = await http.GetStringAsync(new Uri(hub.WebUrl, "metrics")).WithTimeout();
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private string Fleet() => $"\n{_lb}\n{_a}\n{_b}";

    [Fact]
    public async Task ADashboardAndAnAgentOnEitherSideOfTheLoadBalancerSeeEachOther()
    {
        var machineId = NewId("live");
        await using var dashboard = await Dashboard.ConnectAsync(LbWeb, _token);
        await dashboard.SubscribeAsync(machineId);
        await using var agent = AgentProcess.Start(machineId, LbGrpc);

        try
        {
            await Deadline.Until(() => dashboard.SamplesOf(machineId).Count >= 3,
                "three live samples of an agent streaming through nginx reach a dashboard connected through nginx", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{agent}{Fleet()}", ex);
        }
        var sequences = dashboard.SamplesOf(machineId).Select(s => s.GetProperty("sequence").GetUInt64()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(1, await MetricAsync(_a, "sysmon_hub_connected_agents") + await MetricAsync(_b, "sysmon_hub_connected_agents"));

        // The REST API through the balancer lists the machine, whichever hub answers.
        using var http = Client();
        await Deadline.Until(async () =>
        {
            var machines = await http.GetFromJsonAsync<JsonElement>(new Uri(LbWeb, "api/machines"));
            return machines.EnumerateArray().Any(m => m.GetProperty("id").GetString() == machineId && m.GetProperty("online").GetBoolean());
        }, "the API through nginx lists the machine online");

        // The balancer is not this host: before any user exists the hubs still refuse what comes through it unsigned.
        using var anonymous = Client(authenticated: false);
        using var refused = await anonymous.GetAsync(new Uri(LbWeb, "api/machines")).WithTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        // A page the balancer served may call the API: the Host nginx passes on keeps the port the browser used.
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Get, new Uri(LbWeb, "api/machines"));
        sameOrigin.Headers.Add("Origin", LbWeb.GetLeftPart(UriPartial.Authority));
        using var answered = await http.SendAsync(sameOrigin).WithTimeout();
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task DashboardsAreSpreadOverBothHubsWithoutStickySessionsAndEachGetsTheSamples()
    {
        var machineId = NewId("spread");
        var dashboards = new List<Dashboard>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var dashboard = await Dashboard.ConnectAsync(LbWeb, _token);
                dashboards.Add(dashboard);
                await dashboard.SubscribeAsync(machineId);
            }
            await using var agent = await SimulatedAgent.ConnectAsync(LbGrpc, machineId);

            await Deadline.Until(async () =>
            {
                await agent.SendAsync(cpuPercent: 42);
                return dashboards.All(d => d.SamplesOf(machineId).Count >= 2);
            }, "every dashboard, on either hub, gets the machine's samples");

            // Round-robin put dashboards on both hubs; the samples crossed between them through Redis.
            var onA = await MetricAsync(_a, "sysmon_hub_connected_viewers");
            var onB = await MetricAsync(_b, "sysmon_hub_connected_viewers");
            Assert.True(onA >= 1 && onB >= 1 && onA + onB == 4, $"viewers: {onA} on hub A, {onB} on hub B{Fleet()}");
        }
        finally
        {
            foreach (var dashboard in dashboards)
            {
                await dashboard.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AStreamCarriesMoreThanNginxsDefaultBodyLimit()
    {
        // One gRPC stream is one HTTP/2 request whose body is every sample the agent ever sends: nginx's default
        // client_max_body_size (1 MB) resets it once the agent has sent a megabyte (checked: without the setting
        // this test fails with INTERNAL_ERROR).
        var machineId = NewId("long");
        await using var agent = await SimulatedAgent.ConnectAsync(LbGrpc, machineId);
        var processes = Enumerable.Range(1, 100).Select(pid => new SysMon.Protocol.V1.ProcessSample
        {
            Pid = pid, Name = $"worker-{pid}", User = "app", State = "S", CommandLine = new string('x', 256),
        }).ToList();

        ulong last = 0;
        for (var i = 0; i < 60; i++)
        {
            last = await agent.SendAsync(cpuPercent: 10, processes: processes);
        }
        await Deadline.Until(() => agent.Acked >= last, "every sample of a 2 MB stream is acknowledged through nginx");
    }

    [Fact]
    public async Task AnAgentWhoseHubDiesReconnectsThroughTheLoadBalancerToTheOther()
    {
        var machineId = NewId("failover");
        await using var agent = AgentProcess.Start(machineId, LbGrpc);
        double onA = 0;
        await Deadline.Until(async () =>
        {
            onA = await MetricAsync(_a, "sysmon_hub_connected_agents");
            return onA + await MetricAsync(_b, "sysmon_hub_connected_agents") == 1;
        }, "the agent's stream reaches a hub through nginx", TimeSpan.FromSeconds(60));
        var (holder, other) = onA == 1 ? (_a, _b) : (_b, _a);

        await holder.Process.KillAsync();
        var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        try
        {
            // Connecting now, through nginx, which skips the dead hub for this request and for the agent's next stream.
            await using var dashboard = await Dashboard.ConnectAsync(LbWeb, _token);
            await dashboard.SubscribeAsync(machineId);
            await Deadline.Until(() => dashboard.SamplesOf(machineId).Any(s => s.GetProperty("timestampUnixMs").GetInt64() > killedAt),
                "a sample taken after the kill arrives through the load balancer", TimeSpan.FromSeconds(30));
            Assert.Equal(1, await MetricAsync(other, "sysmon_hub_connected_agents"));
        }
        catch (Exception ex) when (ex is TimeoutException or Xunit.Sdk.XunitException)
        {
            throw new TimeoutException($"{ex.Message}\n{agent}{Fleet()}", ex);
        }
    }

    [Fact]
    public async Task TheHealthCheckCommandOfTheImagesPassesOnALiveHubAndFailsOnADeadPort()
    {
        async Task<(int ExitCode, string Output)> HealthCheckAsync(Uri url)
        {
            await using var command = ChildProcess.Start("healthcheck", "dotnet", [RepoPaths.HubDll, "healthcheck", url.ToString()]);
            var exitCode = await command.WaitForExitAsync(TimeSpan.FromSeconds(30));
            return (exitCode, command.Output);
        }

        var live = await HealthCheckAsync(new Uri(_a.WebUrl, "healthz"));
        Assert.True(live.ExitCode == 0, live.Output);
        Assert.Contains("healthy:", live.Output, StringComparison.Ordinal);

        // Compose waits on readiness (Redis reachable), here asked through the balancer.
        var ready = await HealthCheckAsync(new Uri(LbWeb, "readyz"));
        Assert.True(ready.ExitCode == 0, ready.Output);

        var dead = await HealthCheckAsync(new Uri($"http://127.0.0.1:{FreePort.Next()}/healthz"));
        Assert.Equal(1, dead.ExitCode);
        Assert.Contains("unhealthy:", dead.Output, StringComparison.Ordinal);
    }

    /// <summary>A SignalR client connected as the dashboard connects: WebSockets only, no negotiate request.</summary>
    private sealed class Dashboard : IAsyncDisposable
    {
        private readonly HubConnection _connection;
        private readonly List<JsonElement> _samples = [];

        private Dashboard(HubConnection connection)
        {
            _connection = connection;
            _connection.On<JsonElement>("sample", sample =>
            {
                lock (_samples)
                {
                    _samples.Add(sample.Clone());
                }
            });
        }

        public static async Task<Dashboard> ConnectAsync(Uri webUrl, string token)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(webUrl, "hubs/monitor"), options =>
                {
                    // One request, the WebSocket upgrade: it cannot be split across hubs, so no sticky session is needed.
                    options.SkipNegotiation = true;
                    options.Transports = HttpTransportType.WebSockets;
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                })
                .Build();
            var dashboard = new Dashboard(connection);
            await connection.StartAsync().WithTimeout();
            return dashboard;
        }

        public Task SubscribeAsync(string machineId) => _connection.InvokeAsync("Subscribe", machineId).WithTimeout();

        public IReadOnlyList<JsonElement> SamplesOf(string machineId)
        {
            lock (_samples)
            {
                return [.. _samples.Where(s => s.GetProperty("machineId").GetString() == machineId)];
            }
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadBalancerCollection
{
    public const string Name = "load balancer";
}
