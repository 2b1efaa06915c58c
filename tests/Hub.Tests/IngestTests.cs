using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.SignalR.Client;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

public sealed class IngestTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private static Hello NewHello(string? id = null) => new()
    {
        ProtocolVersion = 1,
        MachineId = id ?? "ingest-" + Guid.NewGuid().ToString("N"),
        Hostname = "ingest-host",
        OsName = "Debian GNU/Linux",
        OsVersion = "12 (bookworm)",
        AgentVersion = "0.1.0",
        LogicalCores = 2,
    };

    private static Sample NewSample(ulong sequence, double cpu) => new()
    {
        Sequence = sequence,
        TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        Cpu = new CpuSample { TotalPercent = cpu },
    };

    private static async Task<HubMessage> NextAsync(IAsyncStreamReader<HubMessage> stream)
    {
        Assert.True(await stream.MoveNext().WithTimeout(), "the hub closed the stream");
        return stream.Current;
    }

    [Fact]
    public async Task HubAnswersHelloWithSettingsAndAcknowledgesEverySample()
    {
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = NewHello() }).WithTimeout();

        var settings = await NextAsync(call.ResponseStream);
        Assert.Equal(2000U, settings.Settings.SampleIntervalMs);
        Assert.Equal(7U, settings.Settings.TopProcesses);
        // The hello says 1.0 (NewHello sets no minor version): both sides speak the older one.
        Assert.Equal((1U, 0U), (settings.Settings.ProtocolVersion, settings.Settings.ProtocolMinor));

        for (ulong sequence = 1; sequence <= 3; sequence++)
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Sample = NewSample(sequence, 10) }).WithTimeout();
            Assert.Equal(sequence, (await NextAsync(call.ResponseStream)).Ack.Sequence);
        }
        await call.RequestStream.CompleteAsync().WithTimeout();
    }

    [Fact]
    public async Task AProbeHelloIsAnsweredWithSettingsAndRegistersNothing()
    {
        // What `sysmon-agent --check` sends: the hub must say yes without listing a machine that never streams.
        var hello = NewHello();
        hello.Probe = true;
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }).WithTimeout();

        Assert.Equal(2000U, (await NextAsync(call.ResponseStream)).Settings.SampleIntervalMs);
        Assert.False(await call.ResponseStream.MoveNext().WithTimeout(), "the hub keeps a probe's stream open");
        using var http = hub.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/machines/{hello.MachineId}").WithTimeout()).StatusCode);
    }

    [Fact]
    public async Task ConnectedMachineAppearsInTheRestListOnlineAndGoesOfflineWhenItsStreamCloses()
    {
        var hello = NewHello();
        using var http = hub.CreateClient();
        using (var call = hub.CreateIngestClient().Connect())
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }).WithTimeout();
            await NextAsync(call.ResponseStream);

            var machines = await http.GetFromJsonAsync<JsonElement>("/api/machines").WithTimeout();
            var machine = machines.EnumerateArray().Single(m => m.GetProperty("id").GetString() == hello.MachineId);
            Assert.Equal("ingest-host", machine.GetProperty("hostname").GetString());
            Assert.Equal("Debian GNU/Linux 12 (bookworm)", machine.GetProperty("os").GetString());
            Assert.True(machine.GetProperty("online").GetBoolean());
            Assert.Equal(JsonValueKind.String, machine.GetProperty("lastSeen").ValueKind);

            await call.RequestStream.CompleteAsync().WithTimeout();
            Assert.False(await call.ResponseStream.MoveNext().WithTimeout());
        }

        await Deadline.Until(async () =>
        {
            var one = await http.GetFromJsonAsync<JsonElement>($"/api/machines/{hello.MachineId}");
            return !one.GetProperty("online").GetBoolean();
        }, "the machine is offline after its stream closed");
    }

    [Fact]
    public async Task FirstMessageThatIsNotAHelloIsRefusedWithInvalidArgument()
    {
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Sample = NewSample(1, 1) }).WithTimeout();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("hello", error.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HelloWithAHostileMachineIdIsRefusedAndNeverListed()
    {
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = NewHello("x\"><script>alert(1)</script>") }).WithTimeout();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("machine id", error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        using var http = hub.CreateClient();
        var list = await http.GetStringAsync("/api/machines").WithTimeout();
        Assert.DoesNotContain("script", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayedSampleIsAcknowledgedButNotShownTwice()
    {
        var hello = NewHello();
        await using var viewer = hub.CreateViewer();
        var received = new List<ulong>();
        viewer.On<JsonElement>("sample", s => { lock (received) received.Add(s.GetProperty("sequence").GetUInt64()); });
        await viewer.StartAsync().WithTimeout();
        await viewer.InvokeAsync("Subscribe", hello.MachineId).WithTimeout();

        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }).WithTimeout();
        await NextAsync(call.ResponseStream);
        foreach (var sequence in new ulong[] { 1, 2, 2, 1, 3 })
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Sample = NewSample(sequence, 5) }).WithTimeout();
            Assert.Equal(sequence, (await NextAsync(call.ResponseStream)).Ack.Sequence);
        }

        await Deadline.Until(() => { lock (received) return received.Contains(3UL); }, "the viewer received sample 3");
        lock (received)
        {
            Assert.Equal([1UL, 2UL, 3UL], received);
        }
    }

    [Fact]
    public async Task ViewerReceivesOnlyTheMachinesItSubscribedToAndTheLastSampleAtOnce()
    {
        var watched = NewHello();
        var other = NewHello();
        using var watchedCall = hub.CreateIngestClient().Connect();
        using var otherCall = hub.CreateIngestClient().Connect();
        await watchedCall.RequestStream.WriteAsync(new AgentMessage { Hello = watched }).WithTimeout();
        await otherCall.RequestStream.WriteAsync(new AgentMessage { Hello = other }).WithTimeout();
        await NextAsync(watchedCall.ResponseStream);
        await NextAsync(otherCall.ResponseStream);
        await watchedCall.RequestStream.WriteAsync(new AgentMessage { Sample = NewSample(1, 11) }).WithTimeout();
        await NextAsync(watchedCall.ResponseStream);

        await using var viewer = hub.CreateViewer();
        var received = new List<JsonElement>();
        viewer.On<JsonElement>("sample", s => { lock (received) received.Add(s); });
        await viewer.StartAsync().WithTimeout();
        await viewer.InvokeAsync("Subscribe", watched.MachineId).WithTimeout();

        // The last known sample arrives on subscribe, before any new one is sent.
        await Deadline.Until(() => { lock (received) return received.Count == 1; }, "the last sample arrives on subscribe");

        await otherCall.RequestStream.WriteAsync(new AgentMessage { Sample = NewSample(1, 99) }).WithTimeout();
        await NextAsync(otherCall.ResponseStream);
        await watchedCall.RequestStream.WriteAsync(new AgentMessage { Sample = NewSample(2, 22) }).WithTimeout();
        await NextAsync(watchedCall.ResponseStream);
        await Deadline.Until(() => { lock (received) return received.Count >= 2; }, "the live sample arrives");

        lock (received)
        {
            Assert.All(received, s => Assert.Equal(watched.MachineId, s.GetProperty("machineId").GetString()));
            Assert.Equal([11.0, 22.0], received.Select(s => s.GetProperty("cpu").GetProperty("totalPercent").GetDouble()));
        }
    }

    [Fact]
    public async Task SubscribeWithAnInvalidIdFailsWithAClearMessage()
    {
        await using var viewer = hub.CreateViewer();
        await viewer.StartAsync().WithTimeout();

        var error = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => viewer.InvokeAsync("Subscribe", "bad id with spaces").WithTimeout());

        Assert.Contains("Invalid machine id", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/machines/bad%20id", HttpStatusCode.BadRequest)]
    [InlineData("/api/machines/never-seen-machine", HttpStatusCode.NotFound)]
    [InlineData("/healthz", HttpStatusCode.OK)]
    [InlineData("/readyz", HttpStatusCode.OK)]
    public async Task RestEndpointsAnswerWithTheRightStatus(string path, HttpStatusCode expected)
    {
        using var http = hub.CreateClient();

        using var response = await http.GetAsync(path).WithTimeout();

        Assert.Equal(expected, response.StatusCode);
    }
}
