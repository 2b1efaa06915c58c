using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

public sealed class DeadRedisTests
{
    [Fact]
    public async Task HubWithDeadRedisStaysUpHoldsSamplesUnacknowledgedAndStoresThemWhenRedisComesBack()
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
            using (var fleet = await http.GetAsync("api/fleet").WithTimeout())
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, fleet.StatusCode);
            }

            // The hub still takes the agent, and holds its samples unacknowledged: the agent keeps them.
            var machineId = "dead-redis-" + Guid.NewGuid().ToString("N")[..8];
            await using var agent = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, machineId);
            await Deadline.Until(() => agent.Settings is not null, "the hub answers the hello while Redis is down");
            var start = DateTimeOffset.UtcNow.AddSeconds(-10);
            for (var i = 0; i < 3; i++)
            {
                await agent.SendAsync(10 + i, start.AddSeconds(i));
            }
            Assert.Equal(0UL, agent.Acked);
            Assert.False(hub.Process.HasExited, hub.ToString());

            await redis.RestartAsync();

            await Deadline.Until(async () => (await http.GetAsync("readyz")).IsSuccessStatusCode,
                "the hub is ready again without a restart", TimeSpan.FromSeconds(60));
            await Deadline.Until(() => agent.Acked == 3, "the held samples are stored and acknowledged", TimeSpan.FromSeconds(30));
            Assert.Contains(machineId, await http.GetStringAsync("api/machines").WithTimeout(), StringComparison.Ordinal);
            var history = await http.GetFromJsonAsync<JsonElement>(
                $"api/machines/{machineId}/history?from={start.AddSeconds(-1).ToUnixTimeMilliseconds()}&step=1").WithTimeout();
            Assert.Equal([10.0, 11.0, 12.0], history.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("cpu").GetProperty("avgPercent").GetDouble()));
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
