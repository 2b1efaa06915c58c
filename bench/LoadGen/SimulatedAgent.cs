using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using SysMon.Protocol.V1;

namespace SysMon.LoadGen;

/// <summary>
/// One simulated agent: its own <see cref="GrpcChannel"/> over its own <see cref="SocketsHttpHandler"/>
/// (so its own TCP connection, as a real agent on its own host has), Hello first, then samples at a
/// fixed rate with a random phase, and a reader that counts the hub's cumulative acks.
/// </summary>
public sealed class SimulatedAgent(int index, string machineId, string grpcUrl, SendLog log)
{
    private GrpcChannel? _channel;
    private AsyncDuplexStreamingCall<AgentMessage, HubMessage>? _call;
    private Task _reader = Task.CompletedTask;
    private long _lastAck;

    public string MachineId { get; } = machineId;
    public ulong FirstSequenceInWindow { get; private set; }
    public ulong LastSequenceInWindow { get; private set; }
    public long Sent { get; private set; }
    public long AcksReceived;
    public ulong LastAck => (ulong)Interlocked.Read(ref _lastAck);
    public string? Error { get; private set; }

    /// <summary>Opens the stream, sends the hello and waits for the hub's settings.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _channel = GrpcChannel.ForAddress(grpcUrl, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // One agent, one connection: no pooling across agents, no second connection per agent.
                EnableMultipleHttp2Connections = false,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            },
            DisposeHttpClient = true,
        });
        var client = new AgentIngest.AgentIngestClient(_channel);
        _call = client.Connect(cancellationToken: cancellationToken);
        await _call.RequestStream.WriteAsync(new AgentMessage { Hello = NewHello() }, cancellationToken);
        if (!await _call.ResponseStream.MoveNext(cancellationToken) || _call.ResponseStream.Current.PayloadCase != HubMessage.PayloadOneofCase.Settings)
        {
            throw new InvalidOperationException($"{MachineId}: the hub did not answer the hello with settings.");
        }
        _reader = ReadAcksAsync(cancellationToken);
    }

    /// <summary>Sends until <paramref name="stopTicks"/>; the first send waits <paramref name="phase"/> so agents don't tick together.</summary>
    public async Task RunAsync(Sample template, double rateHz, TimeSpan phase, long stopTicks, CancellationToken cancellationToken)
    {
        var call = _call ?? throw new InvalidOperationException("Connect first.");
        var sample = template.Clone();
        var rng = new Random(index);
        var message = new AgentMessage { Sample = sample };
        try
        {
            await Task.Delay(phase, cancellationToken);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / rateHz));
            ulong sequence = 0;
            do
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= stopTicks || sequence + 1 > (ulong)log.CapacityPerAgent)
                {
                    break;
                }
                sequence++;
                SampleTemplates.Advance(sample, sequence, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), rng);
                if (log.InWindow(now))
                {
                    if (FirstSequenceInWindow == 0)
                    {
                        FirstSequenceInWindow = sequence;
                    }
                    LastSequenceInWindow = sequence;
                }
                log.Record(index, sequence, now);
                await call.RequestStream.WriteAsync(message, cancellationToken);
                Sent++;
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or OperationCanceledException)
        {
            Error ??= $"send: {ex.GetType().Name}: {ex.Message}";
        }
    }

    /// <summary>Closes the request side and waits (bounded) for the hub to end the stream.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        if (_call is null)
        {
            return;
        }
        try
        {
            await _call.RequestStream.CompleteAsync().WaitAsync(timeout);
            await _reader.WaitAsync(timeout);
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            Error ??= $"close: {ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            _call.Dispose();
            _channel?.Dispose();
        }
    }

    private async Task ReadAcksAsync(CancellationToken cancellationToken)
    {
        var call = _call!;
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                if (call.ResponseStream.Current.PayloadCase == HubMessage.PayloadOneofCase.Ack)
                {
                    Interlocked.Increment(ref AcksReceived);
                    Interlocked.Exchange(ref _lastAck, (long)call.ResponseStream.Current.Ack.Sequence);
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Error ??= $"acks: {ex.GetType().Name}: {ex.Message}";
            }
        }
    }

    private Hello NewHello() => new()
    {
        ProtocolVersion = 1,
        MachineId = MachineId,
        Hostname = MachineId + ".bench.local",
        OsName = "Debian GNU/Linux",
        OsVersion = "12 (bookworm)",
        KernelVersion = "6.1.0-18-amd64",
        Architecture = "x64",
        CpuModel = "AMD EPYC 7B13",
        LogicalCores = SampleTemplates.CoreCount,
        PhysicalCores = SampleTemplates.CoreCount / 2,
        MemoryTotalBytes = 64UL * 1024 * 1024 * 1024,
        AgentVersion = "0.1.0-loadgen",
        BootTimeUnixSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 86_400 * 17,
        SampleIntervalMs = 1000,
    };
}
