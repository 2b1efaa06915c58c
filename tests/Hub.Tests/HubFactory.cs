using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
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
    }

    public AgentIngest.AgentIngestClient CreateIngestClient()
    {
        var channel = GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
        return new AgentIngest.AgentIngestClient(channel);
    }

    public HubConnection CreateViewer() => new HubConnectionBuilder()
        .WithUrl(new Uri(Server.BaseAddress, "hubs/monitor"), options =>
        {
            options.HttpMessageHandlerFactory = _ => Server.CreateHandler();
            // The test server has no real sockets; long polling is the transport it can carry.
            options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
        })
        .Build();
}
