using Grpc.Core;
using Grpc.Net.Client;
using SysMon.Protocol.V1;

namespace SysMon.TestSupport;

/// <summary>
/// A second machine for tests that need several: it speaks the real protocol over a real gRPC
/// channel, like an agent on another host, with samples the test controls.
/// </summary>
public sealed class SimulatedAgent : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<AgentMessage, HubMessage> _call;
    private readonly Task _reader;
    private ulong _sequence;

    public string MachineId { get; }

    /// <summary>Highest acknowledged sequence.</summary>
    public ulong Acked { get; private set; }

    private SimulatedAgent(string machineId, GrpcChannel channel, AsyncDuplexStreamingCall<AgentMessage, HubMessage> call)
    {
        MachineId = machineId;
        _channel = channel;
        _call = call;
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in _call.ResponseStream.ReadAllAsync())
                {
                    if (message.PayloadCase == HubMessage.PayloadOneofCase.Ack)
                    {
                        Acked = Math.Max(Acked, message.Ack.Sequence);
                    }
                }
            }
            catch (RpcException)
            {
                // the hub went away; Acked stops growing, which is what tests look at
            }
        });
    }

    public static async Task<SimulatedAgent> ConnectAsync(Uri grpcUrl, string machineId, string hostname = "simulated")
    {
        var channel = GrpcChannel.ForAddress(grpcUrl);
        var call = new AgentIngest.AgentIngestClient(channel).Connect();
        await call.RequestStream.WriteAsync(new AgentMessage
        {
            Hello = new Hello
            {
                ProtocolVersion = 1,
                MachineId = machineId,
                Hostname = hostname,
                OsName = "Simulated OS",
                OsVersion = "1",
                Architecture = "x64",
                LogicalCores = 2,
                MemoryTotalBytes = 8UL << 30,
                AgentVersion = "test",
                BootTimeUnixSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600,
            },
        }).WithTimeout();
        return new SimulatedAgent(machineId, channel, call);
    }

    /// <summary>Sends one sample with the next sequence number and returns that number.</summary>
    public async Task<ulong> SendAsync(double cpuPercent)
    {
        var sequence = ++_sequence;
        await _call.RequestStream.WriteAsync(new AgentMessage
        {
            Sample = new Sample
            {
                Sequence = sequence,
                TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                IntervalSeconds = 1,
                Cpu = new CpuSample { TotalPercent = cpuPercent, CorePercent = { cpuPercent, cpuPercent } },
                Memory = new MemorySample { TotalBytes = 8UL << 30, UsedBytes = 2UL << 30 },
            },
        }).WithTimeout();
        return sequence;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync().WithTimeout(TimeSpan.FromSeconds(5));
            await _reader.WithTimeout(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or TimeoutException)
        {
            // already broken: disposing is all that is left
        }
        _call.Dispose();
        _channel.Dispose();
    }
}
