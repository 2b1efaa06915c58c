using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// Notifications with real processes: two hubs sharing Redis, simulated agents crossing a threshold, and
/// a webhook receiver on loopback. A firing and its resolution arrive once each, signed; a channel that
/// is down gets the message once it is back; the hub that notified can be killed.
/// </summary>
public sealed partial class AlertNotificationTests : IAsyncLifetime
{
    private const string Secret = "webhook-secret";
    private readonly RedisServer redis = new();
    private WebhookReceiver receiver = null!;
    /// <summary>A second channel that stays up: it must not wait for the first.</summary>
    private WebhookReceiver other = null!;
    private HubProcess a = null!;
    private HubProcess b = null!;

    public async Task InitializeAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        other = await WebhookReceiver.StartAsync();
        await redis.InitializeAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Alerts__Rules__0__Id"] = "cpu-hot",
            ["Alerts__Rules__0__Name"] = "CPU hot",
            ["Alerts__Rules__0__Metric"] = "cpu_percent",
            ["Alerts__Rules__0__Threshold"] = "90",
            ["Alerts__Rules__0__ClearThreshold"] = "80",
            ["Alerts__Channels__0__Id"] = "ops-hook",
            ["Alerts__Channels__0__Url"] = receiver.Url.ToString(),
            ["Alerts__Channels__0__Secret"] = Secret,
            ["Alerts__Channels__1__Id"] = "team-hook",
            ["Alerts__Channels__1__Url"] = other.Url.ToString(),
            ["Alerts__NotifyPollMs"] = "200",
            ["Alerts__RepeatMinutes"] = "0.02", // a reminder every 1.2 s, for the reminder test
            ["Alerts__SweepSeconds"] = "0.2",
            // Machines here stop streaming when a test is done with them; the offline rule is tested on its own (AlertsApiTests).
            ["Alerts__OfflineAfterSeconds"] = "0",
        };
        var hubs = await Task.WhenAll(
            HubProcess.StartAsync("hub-notify-a", redis.ConnectionString, settings),
            HubProcess.StartAsync("hub-notify-b", redis.ConnectionString, settings));
        (a, b) = (hubs[0], hubs[1]);
    }

    public async Task DisposeAsync()
    {
        if (a is not null) await a.DisposeAsync();
        if (b is not null) await b.DisposeAsync();
        await redis.DisposeAsync();
        if (receiver is not null) await receiver.DisposeAsync();
        if (other is not null) await other.DisposeAsync();
    }

    private static async Task SendAsync(SimulatedAgent agent, double cpu, DateTimeOffset at)
    {
        var sequence = await agent.SendAsync(cpu, at);
        await Deadline.Until(() => agent.Acked >= sequence, $"sample {sequence} is acknowledged");
    }

    /// <summary>Fires and resolves <paramref name="machineId"/> through <paramref name="hub"/>.</summary>
    private static async Task FireAndResolveAsync(HubProcess hub, string machineId)
    {
        var t = DateTimeOffset.UtcNow;
        await using var agent = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, machineId);
        await SendAsync(agent, 95, t);
        await SendAsync(agent, 96, t.AddSeconds(1));
        await SendAsync(agent, 40, t.AddSeconds(2));
    }

    /// <summary>
    /// Waits until a later machine's resolution has arrived: the notifier sends in order, so by then anything
    /// about the earlier machines that would ever arrive has (no fixed sleep to prove an absence).
    /// </summary>
    private async Task FlushAsync(HubProcess hub)
    {
        var sentinel = "sentinel-" + Guid.NewGuid().ToString("N")[..8];
        await FireAndResolveAsync(hub, sentinel);
        await Deadline.Until(() => receiver.Events().Contains((sentinel, "Resolved")), "the sentinel's resolution arrives", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task AFiringAndItsResolutionArriveOnceEachSigned()
    {
        var machineId = "notify-" + Guid.NewGuid().ToString("N")[..8];
        await FireAndResolveAsync(a, machineId);
        await FlushAsync(b);

        Assert.Equal([(machineId, "Fired"), (machineId, "Resolved")], receiver.Events().Where(e => e.Machine == machineId));
        foreach (var delivery in receiver.Received)
        {
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), delivery.Raw));
            Assert.Equal(expected, delivery.Signature);
        }
        using var http = new HttpClient { BaseAddress = a.WebUrl, Timeout = TimeSpan.FromSeconds(10) };
        var status = await http.GetFromJsonAsync<JsonElement>("api/alerts/channels").WithTimeout();
        var channel = status.EnumerateArray().Single(c => c.GetProperty("id").GetString() == "ops-hook");
        Assert.True(channel.GetProperty("delivered").GetInt64() >= 2);
    }

    [Fact]
    public async Task AChannelThatIsDownGetsTheMessageOnceItIsBack()
    {
        receiver.Down = true;
        var machineId = "notify-down-" + Guid.NewGuid().ToString("N")[..8];
        await FireAndResolveAsync(a, machineId);
        await Deadline.Until(() => receiver.Refused >= 2, "the notifier retries while the channel is down", TimeSpan.FromSeconds(30));
        // Each channel has its own queue: the one that is up gets both messages while the other is still down.
        await Deadline.Until(() => other.Events().Contains((machineId, "Resolved")), "the channel that is up is not held back",
            TimeSpan.FromSeconds(30));
        Assert.True(receiver.Down);
        Assert.Equal([(machineId, "Fired"), (machineId, "Resolved")], other.Events().Where(e => e.Machine == machineId));
        using (var http = new HttpClient { BaseAddress = b.WebUrl, Timeout = TimeSpan.FromSeconds(10) })
        {
            await Deadline.Until(async () => (await http.GetFromJsonAsync<JsonElement>("api/alerts/channels"))[0].GetProperty("lastError").ValueKind
                == JsonValueKind.String, "the failure is visible in the channel's status");
        }

        receiver.Down = false;
        await Deadline.Until(() => receiver.Events().Contains((machineId, "Resolved")), "both messages arrive once the channel is back", TimeSpan.FromSeconds(60));
        await FlushAsync(b);
        Assert.Equal([(machineId, "Fired"), (machineId, "Resolved")], receiver.Events().Where(e => e.Machine == machineId));
    }

    [Fact]
    public async Task KillingAHubChangesNothingAboutWhatIsDelivered()
    {
        var before = "notify-before-" + Guid.NewGuid().ToString("N")[..8];
        await FireAndResolveAsync(a, before);
        await Deadline.Until(() => receiver.Events().Contains((before, "Resolved")), "the first machine's messages arrive", TimeSpan.FromSeconds(30));

        await a.Process.KillAsync(); // whichever hub held the notifier's lease, B notifies from now on
        var after = "notify-after-" + Guid.NewGuid().ToString("N")[..8];
        await FireAndResolveAsync(b, after);
        await FlushAsync(b);

        Assert.Equal([(before, "Fired"), (before, "Resolved")], receiver.Events().Where(e => e.Machine == before));
        Assert.Equal([(after, "Fired"), (after, "Resolved")], receiver.Events().Where(e => e.Machine == after));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"setup code ([A-Z2-7]{5}-[A-Z2-7]{5})")]
    private static partial System.Text.RegularExpressions.Regex SetupCode();

    [Fact]
    public async Task ASilencedMachineIsNotNotifiedButItsAlertsAreStillRecorded()
    {
        // An admin (the first, made with the setup code from hub A's log) silences one machine for ten minutes.
        using var admin = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = a.WebUrl, Timeout = TimeSpan.FromSeconds(10) };
        async Task<HttpResponseMessage> PostAsync(string path, object body)
        {
            var csrf = (await admin.GetFromJsonAsync<JsonElement>("api/session"))!.GetProperty("csrfToken").GetString();
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Add("X-SysMon-Csrf", csrf);
            return await admin.SendAsync(request).WithTimeout();
        }
        await Deadline.Until(() => SetupCode().IsMatch(a.Output), "hub A prints its setup code");
        using (var setup = await PostAsync("api/setup", new { setupCode = SetupCode().Match(a.Output).Groups[1].Value, name = "root", password = "correct horse battery" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, setup.StatusCode);
        }
        var quiet = "notify-silenced-" + Guid.NewGuid().ToString("N")[..8];
        using (var silenced = await PostAsync("api/alerts/silences", new { machineId = quiet, minutes = 10, comment = "maintenance" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, silenced.StatusCode);
        }

        await FireAndResolveAsync(a, quiet);
        await FlushAsync(b);

        Assert.DoesNotContain(receiver.Events(), e => e.Machine == quiet);
        var history = await admin.GetFromJsonAsync<JsonElement>("api/alerts/history").WithTimeout();
        Assert.Equal(["Resolved", "Fired"], history.EnumerateArray()
            .Where(e => e.GetProperty("machineId").GetString() == quiet).Select(e => e.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task AnAlertStillFiringIsRemindedUntilSomeoneAcknowledgesIt()
    {
        var machineId = "notify-remind-" + Guid.NewGuid().ToString("N")[..8];
        await using var agent = await SimulatedAgent.ConnectAsync(a.GrpcUrl, machineId);
        var sequence = await agent.SendAsync(95, DateTimeOffset.UtcNow);
        await Deadline.Until(() => agent.Acked >= sequence, "the sample is acknowledged");

        List<string> Statuses() => [.. receiver.Received
            .Where(d => d.Body.GetProperty("events").EnumerateArray().Any(e => e.GetProperty("machineId").GetString() == machineId))
            .Select(d => d.Body.GetProperty("status").GetString()!)];
        await Deadline.Until(() => Statuses().Count(s => s == "still-firing") >= 2, "reminders arrive while it keeps firing");
        Assert.Equal("firing", Statuses()[0]);

        // Acknowledged (by this host's anonymous first-run viewer here): reminders stop, and the alert says who.
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = b.WebUrl, Timeout = TimeSpan.FromSeconds(10) };
        var csrf = (await http.GetFromJsonAsync<JsonElement>("api/session"))!.GetProperty("csrfToken").GetString();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "api/alerts/acknowledge") { Content = JsonContent.Create(new { ruleId = "cpu-hot", machineId, instance = "" }) })
        {
            request.Headers.Add("X-SysMon-Csrf", csrf);
            using var acked = await http.SendAsync(request).WithTimeout();
            Assert.Equal(System.Net.HttpStatusCode.NoContent, acked.StatusCode);
        }
        var active = await http.GetFromJsonAsync<JsonElement>("api/alerts").WithTimeout();
        var alert = Assert.Single(active.EnumerateArray(), e => e.GetProperty("machineId").GetString() == machineId);
        Assert.Equal("anonymous", alert.GetProperty("acknowledged").GetProperty("by").GetString());
    }
}
