using System.Threading.Channels;
using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SysMon.Hub.History;
using SysMon.Hub.Observability;
using SysMon.Hub.Realtime;
using SysMon.Hub.Registry;
using SysMon.Hub.Security;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Ingest;

/// <summary>
/// Takes agent streams: hello, then samples. Each stream has one ordered writer: a sample is stored
/// (history and registry), then fanned out to viewers, then acknowledged, so an ack means durable.
/// While Redis is down the writer retries and the stream stays open; its bounded queue then fills and
/// the hub stops reading, which pushes back on the agent (HTTP/2 flow control) while the agent keeps
/// what is unacknowledged. A misbehaving agent gets a gRPC error naming the broken rule.
/// </summary>
public sealed class AgentIngestService(
    IMachineRegistry registry,
    IHistoryStore history,
    SampleBroadcaster broadcaster,
    AgentSessions sessions,
    HubMetrics metrics,
    IOptions<HubOptions> options,
    IOptions<HistoryOptions> historyOptions,
    HubInstance instance,
    AgentAuthenticator authenticator,
    Alerts.AlertEngine alerts,
    TimeProvider time,
    ILogger<AgentIngestService> logger) : AgentIngest.AgentIngestBase
{
    // An agent that connects and says nothing holds a stream and a task; give it a bounded time to say hello.
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    public override async Task Connect(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<HubMessage> responseStream, ServerCallContext context)
    {
        if (sessions.Draining)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "Hub shutting down; connect to another hub."));
        }
        var hello = await ReadHelloAsync(requestStream, context.CancellationToken);
        var issuedCredential = await authenticator.AuthenticateAsync(hello, context);
        var settings = options.Value;
        if (hello.Probe)
        {
            // `sysmon-agent --check`: the hello passed every rule; answer as to a real agent, register nothing.
            await responseStream.WriteAsync(new HubMessage { Settings = SettingsFor(settings, hello) }, context.CancellationToken);
            logger.LogInformation("Agent {MachineId} ({Hostname}) checked in from {Peer} (probe; not registered)",
                hello.MachineId, hello.Hostname, context.Peer);
            return;
        }

        using var session = new AgentSession(hello.MachineId, Guid.NewGuid().ToString("N"), responseStream, context.CancellationToken)
        {
            Hostname = hello.Hostname,
            Tags = [.. hello.Tags],
        };
        var cancellationToken = session.Aborted;
        sessions.Add(session);
        metrics.AgentConnected();
        logger.LogInformation("Agent {MachineId} ({Hostname}, agent {AgentVersion}, protocol {ProtocolMajor}.{ProtocolMinor}) connected from {Peer}",
            hello.MachineId, hello.Hostname, hello.AgentVersion, hello.ProtocolVersion, hello.ProtocolMinor, context.Peer);

        var queue = Channel.CreateBounded<Sample>(new BoundedChannelOptions(Math.Max(1, settings.IngestQueueLength))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Task? writer = null;
        var rate = Math.Max(1, settings.MaxSamplesPerSecondPerAgent);
        using var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = rate,
            TokensPerPeriod = Math.Max(1, rate / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 1,
            AutoReplenishment = true,
        });
        var idleLimit = settings.EffectiveStreamIdle;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var throttled = false;
        try
        {
            if (issuedCredential is not null)
            {
                await session.SendAsync(new HubMessage { Credential = new Credential { Token = issuedCredential } });
            }
            await session.SendAsync(new HubMessage { Settings = SettingsFor(settings, hello) });
            writer = WriteAsync(hello, session, queue.Reader, cancellationToken);
            while (true)
            {
                // Only the wait for the agent's next message counts as idle; a hub that stopped reading
                // (Redis down, or the rate below) is not the agent's silence.
                idle.CancelAfter(idleLimit);
                bool more;
                try
                {
                    more = await requestStream.MoveNext(idle.Token);
                }
                catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    metrics.StreamIdleClosed();
                    logger.LogWarning("Agent {MachineId} sent nothing for {IdleSeconds:0} s; closing its stream", hello.MachineId, idleLimit.TotalSeconds);
                    throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"Nothing received for {idleLimit.TotalSeconds:0} s."));
                }
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                if (!more)
                {
                    break;
                }
                var message = requestStream.Current;
                if (message.PayloadCase != AgentMessage.PayloadOneofCase.Sample)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "Only samples may follow the hello."));
                }
                if (AgentMessageRules.CheckSample(message.Sample) is { } problem)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
                }
                metrics.SampleReceived();
                using (var lease = limiter.AttemptAcquire())
                {
                    if (!lease.IsAcquired)
                    {
                        // Over the rate: wait for a token before reading on. The agent is held back by flow control, loses nothing.
                        metrics.SampleThrottled();
                        if (!throttled)
                        {
                            throttled = true;
                            logger.LogWarning("Agent {MachineId} sends faster than {Rate} samples/s; its stream is read at that rate", hello.MachineId, rate);
                        }
                        using var waited = await limiter.AcquireAsync(1, cancellationToken);
                    }
                }
                await queue.Writer.WriteAsync(message.Sample, cancellationToken);
            }
            queue.Writer.TryComplete();
            // The agent closed its side: finish storing and acknowledging what it sent, within bounds (Redis may be down).
            try
            {
                await writer.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            catch (TimeoutException)
            {
                session.Abort();
            }
            logger.LogInformation("Agent {MachineId} disconnected", hello.MachineId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Agent {MachineId} stream ended", hello.MachineId);
        }
        finally
        {
            queue.Writer.TryComplete();
            session.Abort();
            if (writer is not null)
            {
                await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            sessions.Remove(session);
            alerts.Forget(hello.MachineId);
            metrics.AgentDisconnected();
            try
            {
                await registry.DisconnectedAsync(hello.MachineId, session.ConnectionId).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex)
            {
                // The registry's silence check marks the machine offline later anyway.
                logger.LogWarning("Could not mark {MachineId} disconnected: {Error}", hello.MachineId, ex.Message);
            }
        }
    }

    private static Settings SettingsFor(HubOptions settings, Hello hello) => new()
    {
        SampleIntervalMs = (uint)settings.EffectiveSampleIntervalMs,
        TopProcesses = (uint)Math.Clamp(settings.TopProcesses, 0, 100),
        ProtocolVersion = Protocol.ProtocolVersion.Major,
        ProtocolMinor = Protocol.ProtocolVersion.Agreed(hello.ProtocolMinor),
    };

    /// <summary>The stream's single writer: store, publish, acknowledge, in order.</summary>
    private async Task WriteAsync(Hello hello, AgentSession session, ChannelReader<Sample> samples, CancellationToken cancellationToken)
    {
        var machineId = hello.MachineId;
        var recorder = new HistoryRecorder(history, historyOptions.Value, machineId);
        ulong lastSequence = 0;
        try
        {
            await RetryAsync(machineId, () => registry.ConnectedAsync(hello, session.ConnectionId, instance.Id, time.GetUtcNow()), cancellationToken);
            await foreach (var sample in samples.ReadAllAsync(cancellationToken))
            {
                if (sample.Sequence <= lastSequence)
                {
                    // A resend of what this stream already stored: acknowledge again, store and show it once.
                    metrics.SampleDuplicate();
                }
                else
                {
                    // Fan-out and storage go to Redis together: a viewer sees the sample one round trip
                    // after it arrived, not after the history writes. The ack still waits for storage.
                    var published = PublishAsync(machineId, sample, session, cancellationToken);
                    if (await RetryAsync(machineId, () => StoreAsync(machineId, sample, recorder), cancellationToken))
                    {
                        // Redis was gone: it may have come back empty (restarted without persistence, failed over
                        // to a fresh replica), so say again who this machine is.
                        await RetryAsync(machineId, () => registry.ConnectedAsync(hello, session.ConnectionId, instance.Id, time.GetUtcNow()), cancellationToken);
                    }
                    metrics.SampleStored();
                    // Before the ack: a transition is committed, or the sample stays the agent's to replay.
                    await RetryAsync(machineId, () => alerts.ObserveAsync(machineId, session.Tags, sample), cancellationToken);
                    await published;
                    lastSequence = sample.Sequence;
                }
                await session.SendAsync(new HubMessage { Ack = new Ack { Sequence = sample.Sequence } });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The stream ended; what was not acknowledged is still in the agent's buffer.
        }
        finally
        {
            try
            {
                // Close the steps this stream touched, so the coarser tiers don't wait for the agent's next hub.
                await recorder.FlushAsync(all: true).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                logger.LogDebug("History of {MachineId} not flushed at stream end: {Error}", machineId, ex.Message);
            }
        }
    }

    private async Task StoreAsync(string machineId, Sample sample, HistoryRecorder recorder)
    {
        var seen = registry.SampleAsync(machineId, sample, time.GetUtcNow());
        await recorder.RecordAsync(sample);
        await seen;
    }

    private async Task PublishAsync(string machineId, Sample sample, AgentSession session, CancellationToken cancellationToken)
    {
        // Replayed or late samples are history to a viewer: a burst of them must not look like live points.
        var liveWindowMs = Math.Max(5_000, 3L * options.Value.EffectiveSampleIntervalMs);
        var live = !sample.Replayed && time.GetUtcNow().ToUnixTimeMilliseconds() - sample.TimestampUnixMs <= liveWindowMs;
        if (session.Latest is null || session.Latest.TimestampUnixMs < sample.TimestampUnixMs)
        {
            session.Latest = sample;
            session.Changed = true;
        }
        try
        {
            await broadcaster.PublishAsync(machineId, sample, live, cancellationToken);
            metrics.SamplePublished(live);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            // Live is live: a sample that could not be fanned out is in history, where viewers find it.
            metrics.PublishFailed();
            logger.LogDebug("Sample {Sequence} of {MachineId} not fanned out: {Error}", sample.Sequence, machineId, ex.Message);
        }
    }

    /// <summary>
    /// Retries a Redis operation until it succeeds or the stream ends; logs once per outage, not per try.
    /// Returns true when it had to retry.
    /// </summary>
    private async Task<bool> RetryAsync(string machineId, Func<Task> operation, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var failed = false;
        while (true)
        {
            try
            {
                await operation();
                if (failed)
                {
                    logger.LogInformation("Storage for {MachineId} is back; resuming", machineId);
                }
                return failed;
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                if (!failed)
                {
                    logger.LogWarning("Storage unavailable for {MachineId}, holding its samples unacknowledged: {Error}", machineId, ex.Message);
                    failed = true;
                }
                metrics.StoreRetried();
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
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
