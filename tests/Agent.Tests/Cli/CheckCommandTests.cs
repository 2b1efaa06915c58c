using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SysMon.Agent.Cli;
using SysMon.Agent.Tests.Streaming;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Cli;

/// <summary><c>--check</c> against real gRPC servers on loopback: one that accepts, one that refuses, and the usual mistakes.</summary>
public class CheckCommandTests
{
    private static readonly Hello s_hello = new() { ProtocolVersion = 1, MachineId = "check-host", Hostname = "check-host" };

    [Fact]
    public async Task AHubThatAcceptsGetsAProbeHelloWithTheTokenAndTheCheckSaysOk()
    {
        await using var hub = await ScriptedHub.StartAsync();
        hub.RequiredToken = "s3cret";
        var output = new StringWriter();

        var exitCode = await CheckCommand.RunAsync(
            new AgentOptions { HubUrl = hub.Url, Token = "s3cret" }, s_hello, output, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        Assert.StartsWith("ok", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("sample interval 1000 ms", output.ToString(), StringComparison.Ordinal);
        var (hello, authorization) = Assert.Single(hub.Hellos);
        Assert.True(hello.Probe);
        Assert.Equal("Bearer s3cret", authorization);
        Assert.Equal(0, hub.Connections); // a probe is not a streaming connection
    }

    [Fact]
    public async Task AWrongTokenIsReportedAsRefusedCredentials()
    {
        await using var hub = await ScriptedHub.StartAsync();
        hub.RequiredToken = "right";

        var result = await CheckCommand.CheckAsync(new Uri(hub.Url), s_hello, "wrong", SysMon.Agent.Streaming.HubTls.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.Accepted);
        Assert.Contains("refused this agent's credentials", result.Detail, StringComparison.Ordinal);
        Assert.Contains("Unauthenticated", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APortWhereNothingListensSaysSo()
    {
        var port = UnusedPort();

        var result = await CheckCommand.CheckAsync(new Uri($"http://127.0.0.1:{port}"), s_hello, null, SysMon.Agent.Streaming.HubTls.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.Accepted);
        Assert.Contains("nothing listens there", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHubsWebPortIsRecognisedAsTheWrongPort()
    {
        // The commonest mistake: --hub http://hub:5000 (dashboard, HTTP/1.1) instead of :5001 (gRPC, HTTP/2).
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1));
        await using var web = builder.Build();
        web.MapGet("/", () => "dashboard");
        await web.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var url = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var result = await CheckCommand.CheckAsync(new Uri(url), s_hello, null, SysMon.Agent.Streaming.HubTls.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.Accepted);
        Assert.Contains("gRPC port (5001)", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneRefusingHubAmongSeveralMakesTheCheckFailAndEveryHubIsReported()
    {
        await using var good = await ScriptedHub.StartAsync();
        var output = new StringWriter();

        var exitCode = await CheckCommand.RunAsync(
            new AgentOptions { HubUrl = $"{good.Url},http://127.0.0.1:{UnusedPort()}" }, s_hello, output, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("ok", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("FAIL", lines[1], StringComparison.Ordinal);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
