using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Rules from configuration evaluated on the samples a hub receives, seen through /api/alerts.</summary>
public sealed class AlertsApiTests : IAsyncLifetime
{
    private readonly HubFactory hub = new();
    private WebApplicationFactory<Program> withRules = null!;

    public Task InitializeAsync()
    {
        withRules = hub.WithWebHostBuilder(b =>
        {
            b.UseSetting("Alerts:Rules:0:Id", "cpu-hot");
            b.UseSetting("Alerts:Rules:0:Name", "CPU hot");
            b.UseSetting("Alerts:Rules:0:Metric", "cpu_percent");
            b.UseSetting("Alerts:Rules:0:Threshold", "90");
            b.UseSetting("Alerts:Rules:0:ClearThreshold", "80");
            b.UseSetting("Alerts:Rules:0:Severity", "Critical");
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await withRules.DisposeAsync();
        await hub.DisposeAsync();
    }

    private static async Task SendAsync(AsyncDuplexStreamingCall<AgentMessage, HubMessage> call, ulong sequence, double cpu)
    {
        await call.RequestStream.WriteAsync(new AgentMessage
        {
            Sample = new Sample
            {
                Sequence = sequence,
                TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)sequence, // strictly increasing
                Cpu = new CpuSample { TotalPercent = cpu },
            },
        }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout()); // acknowledged: evaluated too
    }

    [Fact]
    public async Task ARuleFiresAndResolvesWithHysteresisAndTheHistorySaysWhen()
    {
        var id = "alerting-" + Guid.NewGuid().ToString("N")[..8];
        using var call = HubFactory.IngestClientFor(withRules).Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = id, Hostname = "h" } }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
        using var http = withRules.CreateClient();

        await SendAsync(call, 1, 95);
        var active = await http.GetFromJsonAsync<JsonElement>("/api/alerts").WithTimeout();
        var alert = Assert.Single(active.EnumerateArray(), a => a.GetProperty("machineId").GetString() == id);
        Assert.Equal(("cpu-hot", "CPU hot", "Critical", 95.0),
            (alert.GetProperty("ruleId").GetString(), alert.GetProperty("ruleName").GetString(), alert.GetProperty("severity").GetString(),
             alert.GetProperty("value").GetDouble()));

        await SendAsync(call, 2, 85); // below the threshold, above the clearing one: still firing
        Assert.Contains((await http.GetFromJsonAsync<JsonElement>("/api/alerts").WithTimeout()).EnumerateArray(),
            a => a.GetProperty("machineId").GetString() == id);
        await SendAsync(call, 3, 50);
        Assert.DoesNotContain((await http.GetFromJsonAsync<JsonElement>("/api/alerts").WithTimeout()).EnumerateArray(),
            a => a.GetProperty("machineId").GetString() == id);

        var history = await http.GetFromJsonAsync<JsonElement>("/api/alerts/history").WithTimeout();
        Assert.Equal(["Resolved", "Fired"], history.EnumerateArray()
            .Where(t => t.GetProperty("machineId").GetString() == id).Select(t => t.GetProperty("kind").GetString()));
        var rules = await http.GetFromJsonAsync<JsonElement>("/api/alerts/rules").WithTimeout();
        Assert.Equal(["disk-nearly-full", "process-not-running", "machine-offline", "cpu-hot"], rules.EnumerateArray().Select(r => r.GetProperty("rule").GetProperty("id").GetString()));
        Assert.All(rules.EnumerateArray(), r => Assert.False(r.GetProperty("editable").GetBoolean())); // from configuration
        await call.RequestStream.CompleteAsync().WithTimeout();
    }

    [Fact]
    public void ABadRuleStopsTheHubAtStartNamingIt()
    {
        using var bad = hub.WithWebHostBuilder(b =>
        {
            b.UseSetting("Alerts:Rules:0:Id", "typo");
            b.UseSetting("Alerts:Rules:0:Name", "typo");
            b.UseSetting("Alerts:Rules:0:Metric", "cpu_percnt");
            b.UseSetting("Alerts:Rules:0:Threshold", "90");
        });
        var error = Assert.Throws<InvalidOperationException>(() => bad.CreateClient());
        Assert.Contains("rule 'typo': Unknown metric 'cpu_percnt'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTestButtonSaysWhyAChannelFailsAndItsStatusShowsIt()
    {
        await using var withChannel = hub.WithWebHostBuilder(b =>
        {
            b.UseSetting("Alerts:Channels:0:Id", "nowhere");
            b.UseSetting("Alerts:Channels:0:Url", $"http://127.0.0.1:{FreePort.Next()}/hook"); // nothing listens there
        });
        using var admin = BrowserSession.Open(withChannel);
        using (var setup = await admin.PostAsync("/api/setup", new
        {
            setupCode = withChannel.Services.GetRequiredService<Accounts.FirstRun>().SetupCode, name = "root", password = "correct horse battery",
        }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, setup.StatusCode);
        }

        using var tested = await admin.PostAsync("/api/alerts/channels/nowhere/test");

        Assert.Equal(System.Net.HttpStatusCode.BadGateway, tested.StatusCode);
        var status = await admin.Http.GetFromJsonAsync<JsonElement>("/api/alerts/channels").WithTimeout();
        Assert.False(string.IsNullOrEmpty(status[0].GetProperty("lastError").GetString()));
        using var unknown = await admin.PostAsync("/api/alerts/channels/other/test");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task AMachineThatFallsSilentIsAlertedOfflineAndResolvesWhenItSpeaksAgain()
    {
        await using var quick = hub.WithWebHostBuilder(b =>
        {
            b.UseSetting("Alerts:OfflineAfterSeconds", "2");
            b.UseSetting("Alerts:SweepSeconds", "0.2");
        });
        var id = "silent-" + Guid.NewGuid().ToString("N")[..8];
        using var http = quick.CreateClient();
        async Task<bool> OfflineAsync() => (await http.GetFromJsonAsync<JsonElement>("/api/alerts")).EnumerateArray()
            .Any(a => a.GetProperty("machineId").GetString() == id && a.GetProperty("ruleId").GetString() == "machine-offline");

        using (var call = HubFactory.IngestClientFor(quick).Connect())
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = id, Hostname = "h" } }).WithTimeout();
            Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
            await SendAsync(call, 1, 10);
            Assert.False(await OfflineAsync());
            await call.RequestStream.CompleteAsync().WithTimeout();
        }
        await Deadline.Until(OfflineAsync, "the silent machine is alerted offline");

        using (var back = HubFactory.IngestClientFor(quick).Connect())
        {
            await back.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = id, Hostname = "h" } }).WithTimeout();
            Assert.True(await back.ResponseStream.MoveNext().WithTimeout());
            await SendAsync(back, 1, 10);
            await Deadline.Until(async () => !await OfflineAsync(), "the alert resolves once the machine speaks again");
            await back.RequestStream.CompleteAsync().WithTimeout();
        }
        var history = await http.GetFromJsonAsync<JsonElement>("/api/alerts/history").WithTimeout();
        Assert.Equal(["Resolved", "Fired"], history.EnumerateArray()
            .Where(e => e.GetProperty("machineId").GetString() == id).Select(e => e.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task AnAdminCreatesDisablesAndDeletesARuleAndTheAuditSaysWho()
    {
        using var admin = BrowserSession.Open(withRules);
        using (var setup = await admin.PostAsync("/api/setup", new
        {
            setupCode = withRules.Services.GetRequiredService<Accounts.FirstRun>().SetupCode, name = "root", password = "correct horse battery",
        }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, setup.StatusCode);
        }
        var rule = new { id = "load-high", name = "Load high", metric = "load1", threshold = 4, severity = "Warning" };
        using (var created = await admin.PostAsync("/api/alerts/rules", rule))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, created.StatusCode);
        }
        using (var clash = await admin.PostAsync("/api/alerts/rules", rule with { id = "cpu-hot" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Conflict, clash.StatusCode); // configured rules are changed in configuration
        }
        using (var bad = await admin.PostAsync("/api/alerts/rules", rule with { metric = "load" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        }

        async Task<bool> FiresAsync(string machineId, ulong sequence)
        {
            using var call = HubFactory.IngestClientFor(withRules).Connect();
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = machineId, Hostname = "h" } }).WithTimeout();
            Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
            await call.RequestStream.WriteAsync(new AgentMessage
            {
                Sample = new Sample { Sequence = sequence, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Cpu = new CpuSample { Load1M = 9 } },
            }).WithTimeout();
            Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
            await call.RequestStream.CompleteAsync().WithTimeout();
            var active = await admin.Http.GetFromJsonAsync<JsonElement>("/api/alerts").WithTimeout();
            return active.EnumerateArray().Any(a => a.GetProperty("machineId").GetString() == machineId && a.GetProperty("ruleId").GetString() == "load-high");
        }
        Assert.True(await FiresAsync("loaded-1", 1));

        using (var off = await admin.PostAsync("/api/alerts/rules", new { rule.id, rule.name, rule.metric, rule.threshold, rule.severity, enabled = false }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, off.StatusCode);
        }
        Assert.False(await FiresAsync("loaded-2", 1));

        using (var deleted = await admin.DeleteAsync("/api/alerts/rules/load-high"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        }
        var rules = await admin.Http.GetFromJsonAsync<JsonElement>("/api/alerts/rules").WithTimeout();
        Assert.DoesNotContain(rules.EnumerateArray(), r => r.GetProperty("rule").GetProperty("id").GetString() == "load-high");
        // The alert of the deleted rule ends at the machine's next sample instead of firing for ever, under the rule's name.
        Assert.False(await FiresAsync("loaded-1", 2));
        var ended = (await admin.Http.GetFromJsonAsync<JsonElement>("/api/alerts/history").WithTimeout()).EnumerateArray()
            .Where(e => e.GetProperty("machineId").GetString() == "loaded-1").Select(e => (e.GetProperty("kind").GetString(), e.GetProperty("ruleName").GetString()));
        Assert.Equal([("Resolved", "Load high"), ("Fired", "Load high")], ended);
        var audit = await admin.Http.GetFromJsonAsync<JsonElement>("/api/admin/audit").WithTimeout();
        Assert.Equal(["rule-deleted", "rule-saved", "rule-saved"],
            audit.EnumerateArray().Select(e => e.GetProperty("action").GetString()).Where(a => a!.StartsWith("rule-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AnAdminTestsARuleAgainstTheLastMinutesOfHistoryOfTheMachinesItCovers()
    {
        using var admin = BrowserSession.Open(withRules);
        using (var setup = await admin.PostAsync("/api/setup", new
        {
            setupCode = withRules.Services.GetRequiredService<Accounts.FirstRun>().SetupCode, name = "root", password = "correct horse battery",
        }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, setup.StatusCode);
        }
        var (web, db) = ("web-" + Guid.NewGuid().ToString("N")[..8], "db-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (machine, tag) in new[] { (web, "web"), (db, "db") })
        {
            using var call = HubFactory.IngestClientFor(withRules).Connect();
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = machine, Hostname = machine, Tags = { tag } } })
                .WithTimeout();
            Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
            await call.RequestStream.CompleteAsync().WithTimeout();
        }
        // Ten minutes of stored history on both: hot for three minutes in the middle.
        var history = withRules.Services.GetRequiredService<History.IHistoryStore>();
        var raw = withRules.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<History.HistoryOptions>>().Value.Raw;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var t = now - 600; t < now; t++)
        {
            var cpu = t >= now - 400 && t < now - 220 ? 97 : 30;
            foreach (var machine in new[] { web, db })
            {
                await history.WriteAsync(machine, raw, History.HistoryPoints.FromSample(new Sample { TimestampUnixMs = t * 1000, Cpu = new CpuSample { TotalPercent = cpu } }));
            }
        }

        var rule = new { id = "web-cpu", name = "Web CPU", metric = "cpu_percent", threshold = 90, forSeconds = 120, tag = "web" };
        using var tested = await admin.PostAsync("/api/alerts/rules/test", new { rule, minutes = 10 });
        Assert.Equal(System.Net.HttpStatusCode.OK, tested.StatusCode);
        var result = await tested.Content.ReadFromJsonAsync<JsonElement>().WithTimeout();
        Assert.Equal(("raw", 1, 1, 1), (result.GetProperty("tier").GetString(), result.GetProperty("machinesChecked").GetInt32(),
            result.GetProperty("fired").GetInt32(), result.GetProperty("resolved").GetInt32()));
        var transitions = result.GetProperty("transitions").EnumerateArray().ToList();
        Assert.All(transitions, t => Assert.Equal(web, t.GetProperty("machineId").GetString())); // db is not tagged web
        Assert.Equal([now - 400 + 120, now - 220], transitions.Select(t => t.GetProperty("at").GetDateTimeOffset().ToUnixTimeSeconds()));
        Assert.DoesNotContain((await admin.Http.GetFromJsonAsync<JsonElement>("/api/alerts/rules").WithTimeout()).EnumerateArray(),
            r => r.GetProperty("rule").GetProperty("id").GetString() == "web-cpu"); // testing saves nothing

        using var live = await admin.PostAsync("/api/alerts/rules/test", new { rule = rule with { metric = "temperature_celsius" }, minutes = 10 });
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, live.StatusCode);
        Assert.Contains("History does not keep 'temperature_celsius'", await live.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWatchedProcessThatStopsRunningFiresTheBuiltInRuleAfterFifteenSecondsAndResolvesWhenItIsBack()
    {
        var id = "watching-" + Guid.NewGuid().ToString("N")[..8];
        using var call = HubFactory.IngestClientFor(withRules).Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = id, Hostname = "h" } }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
        using var http = withRules.CreateClient();
        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        async Task<JsonElement[]> SendAsync(ulong sequence, long offsetSeconds, uint nginx)
        {
            await call.RequestStream.WriteAsync(new AgentMessage
            {
                Sample = new Sample
                {
                    Sequence = sequence, TimestampUnixMs = t0 + (offsetSeconds * 1000),
                    WatchedProcesses = { new WatchedProcessSample { Name = "nginx", Count = nginx }, new WatchedProcessSample { Name = "cron", Count = 1 } },
                },
            }).WithTimeout();
            Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
            return [.. (await http.GetFromJsonAsync<JsonElement>("/api/alerts").WithTimeout()).EnumerateArray()
                .Where(a => a.GetProperty("machineId").GetString() == id)];
        }

        Assert.Empty(await SendAsync(1, 0, nginx: 2));
        Assert.Empty(await SendAsync(2, 1, nginx: 0)); // a restart takes a moment: not yet
        var firing = Assert.Single(await SendAsync(3, 16, nginx: 0));
        Assert.Equal(("process-not-running", "nginx", "Critical"), (firing.GetProperty("ruleId").GetString(), firing.GetProperty("instance").GetString(),
            firing.GetProperty("severity").GetString()));
        Assert.Empty(await SendAsync(4, 17, nginx: 1));
        await call.RequestStream.CompleteAsync().WithTimeout();
    }
}
