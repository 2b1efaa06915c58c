using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

[Collection(TwoHubsCollection.Name)]
public sealed class FanOutTests(TwoHubs hubs)
{
    private static string NewId(string what) => $"e2e-{what}-{Guid.NewGuid():N}"[..40];

    private static async Task<JsonElement?> FindMachineAsync(HubProcess hub, string machineId)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var machines = await http.GetFromJsonAsync<JsonElement>(new Uri(hub.WebUrl, "api/machines"));
        foreach (var machine in machines.EnumerateArray())
        {
            if (machine.GetProperty("id").GetString() == machineId)
            {
                return machine;
            }
        }
        return null;
    }

    [Fact]
    public async Task SampleFromARealAgentOnHubAReachesAViewerOnHubBAndAnotherMachinesSamplesDoNot()
    {
        var agentId = NewId("agent");
        var otherId = NewId("other");
        await using var viewer = await Viewer.ConnectAsync(hubs.B.WebUrl);
        await using var otherViewer = await Viewer.ConnectAsync(hubs.B.WebUrl);
        await viewer.SubscribeAsync(agentId);
        await otherViewer.SubscribeAsync(otherId);

        await using var agent = AgentProcess.Start(agentId, hubs.A.GrpcUrl);
        await using var other = await SimulatedAgent.ConnectAsync(hubs.A.GrpcUrl, otherId);

        try
        {
            // The other machine keeps publishing on hub A the whole time the real agent does.
            await Deadline.Until(async () =>
            {
                await other.SendAsync(cpuPercent: 77);
                return viewer.SamplesOf(agentId).Count >= 3 && otherViewer.SamplesOf(otherId).Count >= 3;
            }, "three samples of each machine crossed from hub A to hub B", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{agent}\n{hubs.A}\n{hubs.B}", ex);
        }

        // The viewer saw only the machine it subscribed to, although the other's samples reached hub B too.
        Assert.All(viewer.Samples, s => Assert.Equal(agentId, s.GetProperty("machineId").GetString()));
        Assert.All(otherViewer.Samples, s => Assert.Equal(otherId, s.GetProperty("machineId").GetString()));

        var samples = viewer.SamplesOf(agentId);
        var sequences = samples.Select(s => s.GetProperty("sequence").GetUInt64()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(sequences.Count, sequences.Distinct().Count());
        foreach (var sample in samples)
        {
            var cpu = sample.GetProperty("cpu");
            Assert.InRange(cpu.GetProperty("totalPercent").GetDouble(), 0, 100);
            Assert.Equal(Environment.ProcessorCount, cpu.GetProperty("corePercent").GetArrayLength());
            Assert.True(sample.GetProperty("memory").GetProperty("totalBytes").GetUInt64() > 0);
            Assert.InRange(sample.GetProperty("timestampUnixMs").GetInt64(),
                DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
    }

    [Fact]
    public async Task EveryHubListsAMachineConnectedToAnyHub()
    {
        var agentId = NewId("listed");
        await using var agent = AgentProcess.Start(agentId, hubs.A.GrpcUrl);

        await Deadline.Until(async () => await FindMachineAsync(hubs.B, agentId) is { } m && m.GetProperty("online").GetBoolean(),
            "hub B lists the agent connected to hub A as online", TimeSpan.FromSeconds(60));

        var machine = (await FindMachineAsync(hubs.B, agentId).WithTimeout())!.Value;
        Assert.Equal(Environment.MachineName, machine.GetProperty("hostname").GetString(), ignoreCase: true);
        Assert.False(string.IsNullOrEmpty(machine.GetProperty("os").GetString()));
        Assert.Equal(Environment.ProcessorCount, machine.GetProperty("logicalCores").GetInt32());
    }

    [Fact]
    public async Task AgentStoppedWithSigtermExitsCleanlyAndItsMachineGoesOffline()
    {
        var agentId = NewId("sigterm");
        await using var agent = AgentProcess.Start(agentId, hubs.A.GrpcUrl);
        await Deadline.Until(async () => await FindMachineAsync(hubs.A, agentId) is { } m && m.GetProperty("online").GetBoolean(),
            "the agent is online", TimeSpan.FromSeconds(60));

        var exitCode = await agent.TerminateAsync(TimeSpan.FromSeconds(15));

        Assert.True(exitCode == 0, $"agent exit code {exitCode}\n{agent}");
        await Deadline.Until(async () => await FindMachineAsync(hubs.B, agentId) is { } m && !m.GetProperty("online").GetBoolean(),
            "hub B shows the stopped agent offline");
    }

    [Fact]
    public async Task MalformedProtobufFromOneClientLeavesTheHubServingTheOthers()
    {
        var goodId = NewId("good");
        await using var viewer = await Viewer.ConnectAsync(hubs.A.WebUrl);
        await viewer.SubscribeAsync(goodId);
        await using var good = await SimulatedAgent.ConnectAsync(hubs.A.GrpcUrl, goodId);
        await good.SendAsync(10);

        // Bytes that are not an AgentMessage, on the real Connect method.
        var raw = new Method<byte[], byte[]>(MethodType.DuplexStreaming, "sysmon.v1.AgentIngest", "Connect",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        using var channel = GrpcChannel.ForAddress(hubs.A.GrpcUrl);
        using var hostile = channel.CreateCallInvoker().AsyncDuplexStreamingCall(raw, null, new CallOptions());
        await hostile.RequestStream.WriteAsync([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x34]).WithTimeout();

        var error = await Assert.ThrowsAsync<RpcException>(() => hostile.ResponseStream.MoveNext().WithTimeout());
        Assert.NotEqual(StatusCode.OK, error.StatusCode);

        var before = good.Acked;
        await Deadline.Until(async () =>
        {
            await good.SendAsync(20);
            return good.Acked > before && viewer.SamplesOf(goodId).Count >= 2;
        }, "the well-behaved agent is still acknowledged and shown");
    }
}
