using Grpc.Core;
using Microsoft.Extensions.Options;
using SysMon.Hub.Realtime;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Ingest;

/// <summary>
/// Takes agent streams: hello, then samples. Each sample is recorded in the registry, fanned out to
/// viewers and acknowledged. A misbehaving agent gets a gRPC error naming the broken rule; nothing it
/// sends can take the hub down.
/// </summary>
public sealed class AgentIngestService(
    IMachineRegistry registry,
    SampleBroadcaster broadcaster,
    IOptions<HubOptions> options,
    HubInstance instance,
    TimeProvider time,
    ILogger<AgentIngestService> logger) : AgentIngest.AgentIngestBase
{
    // An agent that connects and says nothing holds a stream and a task; give it a bounded time to say hello.
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    public override async Task Connect(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<HubMessage> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var hello = await ReadHelloAsync(requestStream, cancellationToken);
        var machineId = hello.MachineId;
        var connectionId = Guid.NewGuid().ToString("N");

        try
        {
            await registry.ConnectedAsync(hello, connectionId, instance.Id, time.GetUtcNow());
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // Unavailable tells the agent to back off and retry: nothing it did was wrong.
            logger.LogWarning("Agent {MachineId} refused for now, the registry is unavailable: {Error}", machineId, ex.Message);
            throw new RpcException(new Status(StatusCode.Unavailable, "The hub's storage (Redis) is unavailable; retry later."));
        }
        logger.LogInformation("Agent {MachineId} ({Hostname}, agent {AgentVersion}) connected from {Peer}",
            machineId, hello.Hostname, hello.AgentVersion, context.Peer);

        var settings = options.Value;
        await responseStream.WriteAsync(new HubMessage
        {
            Settings = new Settings
            {
                SampleIntervalMs = (uint)Math.Clamp(settings.SampleIntervalMs, 250, 60_000),
                TopProcesses = (uint)Math.Clamp(settings.TopProcesses, 0, 100),
            },
        }, cancellationToken);

        ulong lastSequence = 0;
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                var message = requestStream.Current;
                if (message.PayloadCase != AgentMessage.PayloadOneofCase.Sample)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "Only samples may follow the hello."));
                }
                var sample = message.Sample;
                if (AgentMessageRules.CheckSample(sample) is { } problem)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
                }
                // A sample at or below the last one is a replay the hub already has: acknowledge it again, don't show it twice.
                if (sample.Sequence > lastSequence && !await StoreAndPublishAsync(machineId, sample, cancellationToken))
                {
                    continue; // not acknowledged: an agent with a replay buffer sends it again
                }
                lastSequence = Math.Max(lastSequence, sample.Sequence);
                await responseStream.WriteAsync(new HubMessage { Ack = new Ack { Sequence = sample.Sequence } }, cancellationToken);
            }
            logger.LogInformation("Agent {MachineId} disconnected", machineId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Agent {MachineId} stream ended", machineId);
        }
        finally
        {
            try
            {
                await registry.DisconnectedAsync(machineId, connectionId);
            }
            catch (Exception ex)
            {
                // The registry's time check marks the machine offline later anyway.
                logger.LogWarning(ex, "Could not mark {MachineId} disconnected", machineId);
            }
        }
    }

    private async Task<bool> StoreAndPublishAsync(string machineId, Sample sample, CancellationToken cancellationToken)
    {
        try
        {
            await registry.SampleAsync(machineId, sample, time.GetUtcNow());
            await broadcaster.PublishAsync(machineId, sample, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // Redis is down or slow: keep the agent's stream open so it resumes the moment Redis is back.
            logger.LogWarning("Sample {Sequence} of {MachineId} not stored: {Error}", sample.Sequence, machineId, ex.Message);
            return false;
        }
    }

    private static async Task<Hello> ReadHelloAsync(IAsyncStreamReader<AgentMessage> requestStream, CancellationToken cancellationToken)
    {
        using var helloDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        helloDeadline.CancelAfter(HelloTimeout);
        bool any;
        try
        {
            any = await requestStream.MoveNext(helloDeadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"No hello within {HelloTimeout.TotalSeconds:0} s."));
        }
        if (!any)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The stream closed before the hello."));
        }
        if (requestStream.Current.PayloadCase != AgentMessage.PayloadOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message must be a hello."));
        }
        var hello = requestStream.Current.Hello;
        if (AgentMessageRules.CheckHello(hello) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
        return hello;
    }
}

/// <summary>This hub's instance id, for logs and the registry.</summary>
public sealed record HubInstance(string Id);
