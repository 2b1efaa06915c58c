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

    /// <summary>Settings the hub sent (it does right after the hello), or null.</summary>
    public Settings? Settings { get; private set; }

    /// <summary>True once the hub asked this agent to reconnect elsewhere.</summary>
    public bool ToldToReconnect { get; private set; }

    /// <summary>Timestamps of the samples sent, by sequence.</summary>
    public IReadOnlyDictionary<ulong, long> Sent => _sent;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, long> _sent = new();

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
                    switch (message.PayloadCase)
                    {
                        case HubMessage.PayloadOneofCase.Ack:
                            Acked = Math.Max(Acked, message.Ack.Sequence);
                            break;
                        case HubMessage.PayloadOneofCase.Settings:
                            Settings = message.Settings;
                            break;
                        case HubMessage.PayloadOneofCase.Reconnect:
                            ToldToReconnect = true;
                            break;
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
    public async Task<ulong> SendAsync(double cpuPercent, DateTimeOffset? at = null, bool replayed = false, IEnumerable<ProcessSample>? processes = null)
    {
        var sequence = ++_sequence;
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        _sent[sequence] = timestamp;
        await _call.RequestStream.WriteAsync(new AgentMessage
        {
            Sample = new Sample
            {
                Sequence = sequence,
                Replayed = replayed,
                TimestampUnixMs = timestamp,
                IntervalSeconds = 1,
                Cpu = new CpuSample { TotalPercent = cpuPercent, CorePercent = { cpuPercent, cpuPercent } },
                Memory = new MemorySample { TotalBytes = 8UL << 30, UsedBytes = 2UL << 30 },
                Processes = { processes ?? [] },
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
