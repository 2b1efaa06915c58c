using System.Net.Http.Json;
using System.Text.Json;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// Alerts with real processes: two hubs sharing Redis. An alert that fired on one hub does not fire
/// again when its machine moves to the other (the hub that fired it killed), and resolves there once;
/// two hubs holding the same machine at once (a hand-over) record one transition once.
/// </summary>
public sealed class AlertFailoverTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Rule = new()
    {
        ["Alerts__Rules__0__Id"] = "cpu-hot",
        ["Alerts__Rules__0__Name"] = "CPU hot",
        ["Alerts__Rules__0__Metric"] = "cpu_percent",
        ["Alerts__Rules__0__Threshold"] = "90",
        ["Alerts__Rules__0__ClearThreshold"] = "80",
        ["Alerts__Rules__0__ForSeconds"] = "2",
        // Machines here stop streaming when a test is done with them; the offline rule is tested on its own (AlertsApiTests).
        ["Alerts__OfflineAfterSeconds"] = "0",
    };

    private readonly RedisServer redis = new();
    private HubProcess a = null!;
    private HubProcess b = null!;

    public async Task InitializeAsync()
    {
        await redis.InitializeAsync();
        var hubs = await Task.WhenAll(
            HubProcess.StartAsync("hub-alerts-a", redis.ConnectionString, Rule),
            HubProcess.StartAsync("hub-alerts-b", redis.ConnectionString, Rule));
        (a, b) = (hubs[0], hubs[1]);
    }

    public async Task DisposeAsync()
    {
        if (a is not null) await a.DisposeAsync();
        if (b is not null) await b.DisposeAsync();
        await redis.DisposeAsync();
    }

    private static async Task<string[]> EventsAsync(HubProcess hub, string machineId)
    {
        using var http = new HttpClient { BaseAddress = hub.WebUrl, Timeout = TimeSpan.FromSeconds(10) };
        var events = await http.GetFromJsonAsync<JsonElement>("api/alerts/history");
        return [.. events.EnumerateArray().Where(e => e.GetProperty("machineId").GetString() == machineId).Select(e => e.GetProperty("kind").GetString()!)];
    }

    private static async Task<bool> FiringAsync(HubProcess hub, string machineId)
    {
        using var http = new HttpClient { BaseAddress = hub.WebUrl, Timeout = TimeSpan.FromSeconds(10) };
        var active = await http.GetFromJsonAsync<JsonElement>("api/alerts");
        return active.EnumerateArray().Any(e => e.GetProperty("machineId").GetString() == machineId);
    }

    /// <summary>Sends one sample a second's worth apart and waits for its acknowledgement (after which it is evaluated).</summary>
    private static async Task SendAsync(SimulatedAgent agent, double cpu, DateTimeOffset at)
    {
        var sequence = await agent.SendAsync(cpu, at);
        await Deadline.Until(() => agent.Acked >= sequence, $"sample {sequence} is acknowledged");
    }

    [Fact]
    public async Task AFiringAlertMovesWithItsMachineToTheSurvivingHubAndResolvesThereOnce()
    {
        var machineId = "alert-move-" + Guid.NewGuid().ToString("N")[..8];
        var t = DateTimeOffset.UtcNow;
        await using (var agent = await SimulatedAgent.ConnectAsync(a.GrpcUrl, machineId))
        {
            for (var i = 0; i < 4; i++)
            {
                await SendAsync(agent, 95, t.AddSeconds(i)); // pending at 0 s, firing at 2 s
            }
            await Deadline.Until(() => FiringAsync(b, machineId), "the alert fires (and any hub shows it)");
            await a.Process.KillAsync();
        }

        await using var moved = await SimulatedAgent.ConnectAsync(b.GrpcUrl, machineId);
        for (var i = 4; i < 8; i++)
        {
            await SendAsync(moved, 96, t.AddSeconds(i)); // still hot: nothing new
        }
        Assert.Equal(["Fired"], await EventsAsync(b, machineId));
        await SendAsync(moved, 85, t.AddSeconds(8)); // under the threshold, above the clearing one
        Assert.True(await FiringAsync(b, machineId));
        await SendAsync(moved, 40, t.AddSeconds(9));

        Assert.Equal(["Resolved", "Fired"], await EventsAsync(b, machineId));
        Assert.False(await FiringAsync(b, machineId));
    }

    [Fact]
    public async Task TwoHubsHoldingOneMachineAtOnceRecordEachTransitionOnce()
    {
        var machineId = "alert-race-" + Guid.NewGuid().ToString("N")[..8];
        var t = DateTimeOffset.UtcNow;
        await using var onA = await SimulatedAgent.ConnectAsync(a.GrpcUrl, machineId);
        await using var onB = await SimulatedAgent.ConnectAsync(b.GrpcUrl, machineId);
        for (var i = 0; i < 5; i++)
        {
            // The same readings reach both hubs, as when an agent replays to a new hub what the old one already had.
            await Task.WhenAll(SendAsync(onA, 95, t.AddSeconds(i)), SendAsync(onB, 95, t.AddSeconds(i)));
        }
        for (var i = 5; i < 7; i++)
        {
            await Task.WhenAll(SendAsync(onA, 10, t.AddSeconds(i)), SendAsync(onB, 10, t.AddSeconds(i)));
        }

        Assert.Equal(["Resolved", "Fired"], await EventsAsync(a, machineId));
    }
}
