using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

public sealed class DeadRedisTests
{
    [Fact]
    public async Task HubWithDeadRedisStaysUpSaysWhyAndResumesByItselfWhenRedisComesBack()
    {
        var redis = new RedisServer();
        redis.ReservePort(); // nothing listens there yet: Redis is down from the start
        try
        {
            await using var hub = await HubProcess.StartAsync("hub-dead-redis", redis.ConnectionString);
            using var http = new HttpClient { BaseAddress = hub.WebUrl, Timeout = TimeSpan.FromSeconds(20) };

            using (var ready = await http.GetAsync("readyz").WithTimeout())
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            }
            using (var list = await http.GetAsync("api/machines").WithTimeout())
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
                Assert.Contains("Redis", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // An agent is told to come back later, with a reason, and the hub keeps serving.
            using (var channel = GrpcChannel.ForAddress(hub.GrpcUrl))
            using (var call = new AgentIngest.AgentIngestClient(channel).Connect())
            {
                await call.RequestStream.WriteAsync(new AgentMessage
                {
                    Hello = new Hello { ProtocolVersion = 1, MachineId = "dead-redis-early", Hostname = "h" },
                }).WithTimeout();
                var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());
                Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
                Assert.Contains("Redis", refused.Status.Detail, StringComparison.Ordinal);
            }
            Assert.False(hub.Process.HasExited, hub.ToString());

            await redis.RestartAsync();

            await Deadline.Until(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode,
                "the hub is ready again without a restart", TimeSpan.FromSeconds(60));
            var machineId = "dead-redis-" + Guid.NewGuid().ToString("N")[..8];
            await using var agent = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, machineId);
            await Deadline.Until(async () =>
            {
                await agent.SendAsync(1);
                return agent.Acked > 0 && (await http.GetStringAsync("api/machines")).Contains(machineId, StringComparison.Ordinal);
            }, "a new agent is stored and listed");
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
