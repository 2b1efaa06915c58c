using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Grpc.Core;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Bytes no agent should send: each is refused with a reason, and the hub goes on serving every other agent.</summary>
public sealed class HostileInputTests(HubFactory hub) : IClassFixture<HubFactory>
{
    [Fact]
    public async Task AMessageOverTheSizeLimitIsRefusedAndOtherAgentsCarryOn()
    {
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello("huge") }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());

        // A 2 MB process name: over the hub's 1 MB message limit.
        var sample = new Sample { Sequence = 1, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        sample.Processes.Add(new ProcessSample { Pid = 1, Name = new string('x', 2 * 1024 * 1024) });
        try
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Sample = sample }).WithTimeout();
        }
        catch (RpcException)
        {
            // The hub may end the call while the client is still sending the message; its status says why.
        }

        await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());
        Assert.Equal(StatusCode.ResourceExhausted, call.GetStatus().StatusCode);
        await AnotherAgentIsStillServedAsync();
    }

    [Theory]
    [InlineData(new byte[] { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f })]   // a length far past the end
    [InlineData(new byte[] { 0x0a, 0x05, 0x0a, 0x03, 0x61 })]         // truncated inside a nested message
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff })]               // not protobuf at all
    public async Task MalformedProtobufIsRefusedAndOtherAgentsCarryOn(byte[] payload)
    {
        using var http = new HttpClient(hub.Server.CreateHandler()) { BaseAddress = hub.Server.BaseAddress };
        // One gRPC frame: not compressed, 4-byte big-endian length, then the bytes.
        var frame = new byte[5 + payload.Length];
        frame[4] = (byte)payload.Length;
        payload.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sysmon.v1.AgentIngest/Connect")
        {
            Version = HttpVersion.Version20,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("TE", "trailers");

        using var response = await http.SendAsync(request).WithTimeout();
        await response.Content.ReadAsByteArrayAsync().WithTimeout();

        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) ? values.Single()
            : response.Headers.TryGetValues("grpc-status", out var early) ? early.Single() : null;
        Assert.NotNull(status);
        Assert.NotEqual("0", status);
        await AnotherAgentIsStillServedAsync();
    }

    [Fact]
    public async Task AFrameCutShortEndsTheStreamWithoutHarm()
    {
        using var http = new HttpClient(hub.Server.CreateHandler()) { BaseAddress = hub.Server.BaseAddress };
        // The header promises 100 bytes; 3 arrive and the request ends.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sysmon.v1.AgentIngest/Connect")
        {
            Version = HttpVersion.Version20,
            Content = new ByteArrayContent([0, 0, 0, 0, 100, 0x0a, 0x01, 0x08]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        using var response = await http.SendAsync(request).WithTimeout();
        await response.Content.ReadAsByteArrayAsync().WithTimeout();

        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) ? values.Single()
            : response.Headers.TryGetValues("grpc-status", out var early) ? early.Single() : null;
        Assert.NotEqual("0", status);
        await AnotherAgentIsStillServedAsync();
    }

    [Fact]
    public async Task AWatchedProcessNameWithControlCharactersIsRefusedAndOtherAgentsCarryOn()
    {
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello("watcher") }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());

        // An escape sequence in a name an alert would show: refused, since cleaning it would change what alerts match.
        var sample = new Sample { Sequence = 1, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        sample.WatchedProcesses.Add(new WatchedProcessSample { Name = "nginx\u001b[2J", Count = 1 });
        await call.RequestStream.WriteAsync(new AgentMessage { Sample = sample }).WithTimeout();

        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith("Watched processes: Invalid name", refused.Status.Detail, StringComparison.Ordinal);
        await AnotherAgentIsStillServedAsync();
    }

    private static Hello Hello(string name) => new()
    {
        ProtocolVersion = 1,
        MachineId = $"{name}-{Guid.NewGuid():N}",
        Hostname = name,
    };

    private async Task AnotherAgentIsStillServedAsync()
    {
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello("healthy") }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout(), "the hub answers a healthy agent");
        await call.RequestStream.WriteAsync(new AgentMessage
        {
            Sample = new Sample { Sequence = 1, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Cpu = new CpuSample { TotalPercent = 5 } },
        }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
        Assert.Equal(1UL, call.ResponseStream.Current.Ack.Sequence);
        await call.RequestStream.CompleteAsync().WithTimeout();
    }
}

/// <summary>Agents that talk too much or not at all: slowed down or closed, never able to hold the hub.</summary>
public sealed class StreamLimitTests(HubFactory hub) : IClassFixture<HubFactory>
{
    [Fact]
    public async Task AStreamThatSaysNothingAfterItsHelloIsClosed()
    {
        await using var strict = hub.WithWebHostBuilder(b => b.UseSetting("Hub:StreamIdleSeconds", "1"));
        using var call = CreateIngestClient(strict).Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello("silent") }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("Nothing received", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFloodingAgentIsReadAtItsRateLosesNothingAndDoesNotHoldUpOthers()
    {
        const int rate = 100, sent = 400;
        await using var limited = hub.WithWebHostBuilder(b => b.UseSetting("Hub:MaxSamplesPerSecondPerAgent", rate.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var client = CreateIngestClient(limited);
        using var flood = client.Connect();
        await flood.RequestStream.WriteAsync(new AgentMessage { Hello = Hello("flood") }).WithTimeout();
        Assert.True(await flood.ResponseStream.MoveNext().WithTimeout());

        var started = System.Diagnostics.Stopwatch.StartNew();
        var acks = Task.Run(async () =>
        {
            ulong last = 0;
            while (last < sent && await flood.ResponseStream.MoveNext())
            {
                last = flood.ResponseStream.Current.Ack?.Sequence ?? last;
            }
            return last;
        });
        for (ulong sequence = 1; sequence <= sent; sequence++)
        {
            await flood.RequestStream.WriteAsync(new AgentMessage { Sample = Sample(sequence) }).WithTimeout();
            if (sequence == sent / 2)
            {
                // Mid-flood, a well-behaved agent is still acknowledged.
                using var other = client.Connect();
                await other.RequestStream.WriteAsync(new AgentMessage { Hello = Hello("polite") }).WithTimeout();
                Assert.True(await other.ResponseStream.MoveNext().WithTimeout());
                await other.RequestStream.WriteAsync(new AgentMessage { Sample = Sample(1) }).WithTimeout();
                Assert.True(await other.ResponseStream.MoveNext().WithTimeout());
                Assert.Equal(1UL, other.ResponseStream.Current.Ack.Sequence);
                await other.RequestStream.CompleteAsync().WithTimeout();
            }
        }

        Assert.Equal((ulong)sent, await acks.WithTimeout(TimeSpan.FromSeconds(30)));
        var elapsed = started.Elapsed;
        // A burst of one second's worth, then the rate: 400 samples cannot take less than ~3 s.
        Assert.True(elapsed >= TimeSpan.FromSeconds(2.5), $"{sent} samples were read in {elapsed.TotalSeconds:0.0} s: not limited to {rate}/s");
        using var http = limited.CreateClient();
        Assert.Matches(@"sysmon_hub_samples_throttled_total\{hub=""[^""]+""\} [1-9]", await http.GetStringAsync("/metrics").WithTimeout());
        await flood.RequestStream.CompleteAsync().WithTimeout();
    }

    private static AgentIngest.AgentIngestClient CreateIngestClient(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> factory)
    {
        var channel = Grpc.Net.Client.GrpcChannel.ForAddress(factory.Server.BaseAddress, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        return new AgentIngest.AgentIngestClient(channel);
    }

    private static Hello Hello(string name) => new() { ProtocolVersion = 1, MachineId = $"{name}-{Guid.NewGuid():N}", Hostname = name };

    private static Sample Sample(ulong sequence) => new()
    {
        Sequence = sequence,
        TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 10_000 + (long)sequence,
        Cpu = new CpuSample { TotalPercent = 1 },
    };
}
