using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Tests;

/// <summary>A lone hub (in-memory registry) hosted in the test process; gRPC and SignalR go through its test server.</summary>
public sealed class HubFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("EmbeddedAgent:Enabled", "false");
        builder.UseSetting("ConnectionStrings:Redis", "");
        builder.UseSetting("Hub:SampleIntervalMs", "2000");
        builder.UseSetting("Hub:TopProcesses", "7");
        builder.UseSetting("Hub:FleetIntervalMs", "250");
        if (AgentAuthentication is { } mode)
        {
            builder.UseSetting("Security:AgentAuthentication", mode);
        }
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new FromPeer(this)));
    }

    /// <summary>
    /// Off by default here: most tests are about what happens on a stream, not who may open one.
    /// AgentAuthenticationTests turn it on; null leaves the hub's own default (Required).
    /// </summary>
    public string? AgentAuthentication { get; init; } = "Off";

    /// <summary>The address the hub sees requests come from: loopback unless a test plays another host.</summary>
    public System.Net.IPAddress PeerAddress { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>
    /// The test server's requests come from this process but carry no peer address; they are given
    /// <see cref="PeerAddress"/>, loopback as Kestrel would give, so first-run rules (this host only) apply as in production.
    /// </summary>
    private sealed class FromPeer(HubFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress ??= factory.PeerAddress;
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    public AgentIngest.AgentIngestClient CreateIngestClient() => IngestClientFor(this);

    /// <summary>A gRPC ingest client through <paramref name="factory"/>'s test server (also one made by WithWebHostBuilder).</summary>
    public static AgentIngest.AgentIngestClient IngestClientFor(WebApplicationFactory<Program> factory)
    {
        var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        return new AgentIngest.AgentIngestClient(channel);
    }

    /// <summary>A SignalR viewer; with a cookie header or an API token when the hub has users.</summary>
    public HubConnection CreateViewer(string? cookies = null, string? accessToken = null) => new HubConnectionBuilder()
        .WithUrl(new Uri(Server.BaseAddress, "hubs/monitor"), options =>
        {
            options.HttpMessageHandlerFactory = _ => Server.CreateHandler();
            if (!string.IsNullOrEmpty(cookies))
            {
                options.Headers["Cookie"] = cookies;
            }
            if (accessToken is not null)
            {
                options.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
            }
            // The test server has no real sockets; long polling is the transport it can carry.
            options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
        })
        .Build();
}
