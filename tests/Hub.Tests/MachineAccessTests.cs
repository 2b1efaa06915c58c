using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SysMon.Hub.Accounts;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>
/// Viewers restricted to tags see only machines whose agents report one of them, on every path that
/// shows a machine (REST, /metrics, the fleet stream, machine subscriptions); a hidden machine answers
/// like an unknown one.
/// </summary>
public sealed class MachineAccessTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly HubFactory hub = new();
    private readonly string web = "web-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string db = "db-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<AsyncDuplexStreamingCall<AgentMessage, HubMessage>> agents = [];
    private BrowserSession admin = null!;

    public async Task InitializeAsync()
    {
        admin = BrowserSession.Open(hub);
        using var setup = await admin.PostAsync("/api/setup",
            new { setupCode = hub.Services.GetRequiredService<FirstRun>().SetupCode, name = "root", password = Password });
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        await ConnectAgentAsync(web, "team:web", "prod");
        await ConnectAgentAsync(db, "team:db", "prod");
    }

    public async Task DisposeAsync()
    {
        foreach (var call in agents)
        {
            call.Dispose();
        }
        admin.Dispose();
        await hub.DisposeAsync();
    }

    private async Task ConnectAgentAsync(string id, params string[] tags)
    {
        var call = hub.CreateIngestClient().Connect();
        agents.Add(call);
        var hello = new Hello { ProtocolVersion = 1, MachineId = id, Hostname = id + "-host" };
        hello.Tags.Add(tags);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
        await call.RequestStream.WriteAsync(new AgentMessage
        {
            Sample = new Sample { Sequence = 1, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Cpu = new CpuSample { TotalPercent = 5 } },
        }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
    }

    private async Task<BrowserSession> ViewerAsync(string name, params string[] tags)
    {
        using var created = await admin.PostAsync("/api/admin/users", new { name, role = "viewer", password = Password, tags });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var viewer = BrowserSession.Open(hub);
        await viewer.SignInAsync(name, Password);
        return viewer;
    }

    private static async Task<string[]> IdsAsync(HttpClient http, string path) =>
        [.. (await http.GetFromJsonAsync<JsonElement>(path).WithTimeout()).EnumerateArray()
            .Select(m => m.ValueKind == JsonValueKind.Array ? m[0].GetString()! : m.GetProperty("id").GetString()!)
            .Order()];

    [Fact]
    public async Task ARestrictedViewerSeesOnlyItsMachinesOverRest()
    {
        using var webTeam = await ViewerAsync("webber", "team:web");

        Assert.Equal([web], await IdsAsync(webTeam.Http, "/api/machines"));
        Assert.Equal([web], await IdsAsync(webTeam.Http, "/api/fleet"));
        Assert.Equal(HttpStatusCode.OK, await webTeam.StatusOfAsync($"/api/machines/{web}"));
        Assert.Equal(HttpStatusCode.NotFound, await webTeam.StatusOfAsync($"/api/machines/{db}"));
        Assert.Equal(HttpStatusCode.NotFound, await webTeam.StatusOfAsync($"/api/machines/{db}/history"));
        Assert.Equal(HttpStatusCode.NotFound, await webTeam.StatusOfAsync($"/api/machines/{db}/processes"));
        var metrics = await webTeam.Http.GetStringAsync("/metrics").WithTimeout();
        Assert.Contains($"machine=\"{web}\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(db, metrics, StringComparison.Ordinal);

        // A shared tag shows both; no tags (and admins) see everything.
        using var prod = await ViewerAsync("prodder", "prod");
        Assert.Equal(new[] { db, web }.Order(), await IdsAsync(prod.Http, "/api/machines"));
        using var everyone = await ViewerAsync("anybody");
        Assert.Contains(db, await IdsAsync(everyone.Http, "/api/machines"));
        Assert.Contains(db, await IdsAsync(admin.Http, "/api/machines"));
        var machine = await admin.Http.GetFromJsonAsync<JsonElement>($"/api/machines/{web}").WithTimeout();
        Assert.Equal(["team:web", "prod"], machine.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task ARestrictedViewerCannotSubscribeToAMachineItMayNotSeeAndItsFleetStreamHoldsOnlyItsOwn()
    {
        using var webTeam = await ViewerAsync("webber", "team:web");
        await using var live = hub.CreateViewer(webTeam.CookieHeader());
        var fleetIds = new List<string>();
        var firstFleet = new TaskCompletionSource();
        live.On<JsonElement>("fleet", batch =>
        {
            lock (fleetIds)
            {
                fleetIds.AddRange(batch.EnumerateArray().Select(r => r[0].GetString()!));
            }
            firstFleet.TrySetResult();
        });
        await live.StartAsync().WithTimeout();

        var refused = await Assert.ThrowsAsync<HubException>(() => live.InvokeAsync("Subscribe", db).WithTimeout());
        Assert.Contains($"Unknown machine '{db}'", refused.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<HubException>(() => live.InvokeAsync("Subscribe", "no-such-machine").WithTimeout());
        Assert.Contains("Unknown machine", unknown.Message, StringComparison.Ordinal); // the same answer
        await live.InvokeAsync("Subscribe", web).WithTimeout();

        await live.InvokeAsync("SubscribeFleet").WithTimeout();
        await firstFleet.Task.WithTimeout();
        // Both agents send again, so the periodic fleet messages carry both machines' records to their groups.
        foreach (var (call, sequence) in agents.Select(a => (a, 2UL)))
        {
            await call.RequestStream.WriteAsync(new AgentMessage
            {
                Sample = new Sample { Sequence = sequence, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Cpu = new CpuSample { TotalPercent = 9 } },
            }).WithTimeout();
        }
        await Deadline.Until(() =>
        {
            lock (fleetIds)
            {
                return fleetIds.Count(id => id == web) >= 2;
            }
        }, "a periodic fleet message with the web machine arrives");
        lock (fleetIds)
        {
            Assert.DoesNotContain(db, fleetIds);
        }
    }

    [Fact]
    public async Task AnApiTokenCanBeRestrictedToTags()
    {
        using var created = await admin.PostAsync("/api/admin/api-tokens", new { name = "web grafana", tags = new[] { "team:web" } });
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        using var script = hub.CreateClient();
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal([web], await IdsAsync(script, "/api/machines"));
    }

    [Theory]
    [InlineData("Prod")]
    [InlineData("a b")]
    [InlineData("<b>")]
    public async Task AnAgentWithAnInvalidTagIsRefusedWithTheRule(string tag)
    {
        using var call = hub.CreateIngestClient().Connect();
        var hello = new Hello { ProtocolVersion = 1, MachineId = "bad-tag-" + Guid.NewGuid().ToString("N")[..6], Hostname = "x" };
        hello.Tags.Add(tag);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }).WithTimeout();
        if (tag == "Prod")
        {
            Assert.True(await call.ResponseStream.MoveNext().WithTimeout()); // normalised to "prod", not refused
            return;
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("lower-case letters", error.Status.Detail, StringComparison.Ordinal);
    }
}
