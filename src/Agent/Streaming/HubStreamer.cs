using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Agent.Identity;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Streaming;

/// <summary>
/// Samples the host on a steady cadence and streams the samples to the hub over AgentIngest.Connect,
/// reconnecting with jittered exponential backoff.
/// </summary>
/// <remarks>
/// Sampling runs whether or not the hub is reachable, so the first sample after a reconnect still has a real
/// one-interval window. Sequence numbers are given when a sample is written, so the hub never sees a gap;
/// samples taken while disconnected are dropped (all but the latest, which is sent on reconnect). A replay
/// buffer replaces the one-slot <see cref="Channel{T}"/> below.
/// </remarks>
internal sealed class HubStreamer(
    Sampler sampler,
    IOptions<AgentOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<HubStreamer> logger) : BackgroundService
{
    /// <summary>A connection that lived this long was healthy: the next failure starts the backoff afresh.</summary>
    internal static readonly TimeSpan HealthyConnectionAge = TimeSpan.FromSeconds(30);

    // How long a clean shutdown waits for the hub to see the end of the stream.
    private static readonly TimeSpan s_shutdownGrace = TimeSpan.FromSeconds(2);

    private readonly AgentOptions _options = options.Value;
    private readonly ReconnectBackoff _backoff = ReconnectBackoff.CreateDefault();
    private int _sampleIntervalMs = AgentOptions.ClampInterval(options.Value.SampleIntervalMs);
    private ulong _sequence;
    private ulong _lastAckedSequence;
    private bool _wasConnected;
    private bool _reportedUnreachable;

    /// <summary>The highest sequence the hub acknowledged (cumulative).</summary>
    internal ulong LastAckedSequence => Interlocked.Read(ref _lastAckedSequence);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_options.HubUrl))
        {
            AgentLog.StreamingDisabled(logger);
            return;
        }

        GrpcChannel channel;
        try
        {
            channel = CreateChannel(_options.HubUrl);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or InvalidOperationException)
        {
            // Logged, not thrown: a bad URL must not stop a host (the hub) that runs this agent in-process.
            AgentLog.BadHubUrl(logger, _options.HubUrl, e);
            return;
        }

        using (channel)
        {
            try
            {
                // The hub runs this agent in-process; its Kestrel is not listening before ApplicationStarted.
                await WaitForApplicationStartedAsync(stoppingToken).ConfigureAwait(false);
                var machineId = MachineIdentity.Resolve(_options.MachineId, _options.EtcRoot, _options.StateDirectory, logger);
                var samples = Channel.CreateBounded<Sample>(new BoundedChannelOptions(1)
                {
                    FullMode = BoundedChannelFullMode.DropOldest,
                    SingleWriter = true,
                });
                sampler.Prime();
                var sampling = SampleLoopAsync(samples.Writer, stoppingToken);
                try
                {
                    await ConnectLoopAsync(new AgentIngest.AgentIngestClient(channel), samples.Reader, machineId, stoppingToken)
                        .ConfigureAwait(false);
                }
                finally
                {
                    await sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutdown.
            }
        }
    }

    private static GrpcChannel CreateChannel(string hubUrl) =>
        GrpcChannel.ForAddress(hubUrl, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // Pings notice a hub that vanished without closing the TCP connection (a pulled cable, a
                // killed VM) long before TCP would.
                KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                EnableMultipleHttp2Connections = true,
            },
            DisposeHttpClient = true,
        });

    private async Task WaitForApplicationStartedAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Register runs the callback at once when the host has already started.
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task SampleLoopAsync(ChannelWriter<Sample> writer, CancellationToken cancellationToken)
    {
        var intervalMs = Volatile.Read(ref _sampleIntervalMs);
        // PeriodicTimer keeps the cadence steady: a slow reading shortens the next wait instead of shifting it.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(intervalMs));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    writer.TryWrite(sampler.Read());
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    AgentLog.SamplingFailed(logger, e);
                }

                var wantedMs = Volatile.Read(ref _sampleIntervalMs);
                if (wantedMs != intervalMs)
                {
                    intervalMs = wantedMs;
                    timer.Period = TimeSpan.FromMilliseconds(intervalMs);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private async Task ConnectLoopAsync(
        AgentIngest.AgentIngestClient client, ChannelReader<Sample> samples, string machineId, CancellationToken cancellationToken)
    {
        var hubUrl = _options.HubUrl!;
        while (!cancellationToken.IsCancellationRequested)
        {
            var connectedAt = 0L;
            string reason;
            try
            {
                reason = await RunConnectionAsync(client, samples, machineId, t => connectedAt = t, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (cancellationToken.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or IOException or InvalidOperationException)
            {
                reason = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (connectedAt != 0 && Stopwatch.GetElapsedTime(connectedAt) > HealthyConnectionAge)
            {
                _backoff.Reset();
            }

            // Log transitions once at Warning; the retries themselves are Debug noise.
            if (_wasConnected)
            {
                _wasConnected = false;
                AgentLog.Disconnected(logger, hubUrl, reason);
            }
            else if (!_reportedUnreachable)
            {
                _reportedUnreachable = true;
                AgentLog.Unreachable(logger, hubUrl, reason);
            }

            var delay = _backoff.NextDelay();
            AgentLog.Reconnecting(logger, delay, _backoff.Attempt, reason);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>One connection's life. Returns why it ended when the hub closed it; throws when it failed.</summary>
    private async Task<string> RunConnectionAsync(
        AgentIngest.AgentIngestClient client,
        ChannelReader<Sample> samples,
        string machineId,
        Action<long> onConnected,
        CancellationToken cancellationToken)
    {
        // Not linked to the stopping token: on shutdown the request stream is completed first, so the hub
        // sees a clean end of stream instead of a reset.
        using var callCancellation = new CancellationTokenSource();
        using var call = client.Connect(cancellationToken: callCancellation.Token);
        Task? reading = null;
        var graceful = false;
        try
        {
            var hello = SystemInfo.ReadHello(HostPaths.From(_options), machineId, Volatile.Read(ref _sampleIntervalMs));
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }, cancellationToken).ConfigureAwait(false);
            onConnected(Stopwatch.GetTimestamp());
            _wasConnected = true;
            _reportedUnreachable = false;
            AgentLog.Connected(logger, _options.HubUrl!, machineId);

            reading = ReadHubMessagesAsync(call.ResponseStream, callCancellation.Token);
            while (true)
            {
                var sampleReady = samples.WaitToReadAsync(cancellationToken).AsTask();
                if (await Task.WhenAny(sampleReady, reading).ConfigureAwait(false) == reading)
                {
                    await reading.ConfigureAwait(false); // rethrows the read failure, if any
                    return "the hub closed the stream";
                }

                if (!await sampleReady.ConfigureAwait(false))
                {
                    graceful = true; // sampling stopped: shutting down
                    return "shutting down";
                }

                while (samples.TryRead(out var sample))
                {
                    sample.Sequence = ++_sequence;
                    await call.RequestStream.WriteAsync(new AgentMessage { Sample = sample }, cancellationToken)
                        .ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            graceful = true;
            throw;
        }
        finally
        {
            if (graceful && reading is { IsCompleted: false })
            {
                await CompleteGracefullyAsync(call, reading).ConfigureAwait(false);
            }

            await callCancellation.CancelAsync().ConfigureAwait(false);
            if (reading is not null)
            {
                await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static async Task CompleteGracefullyAsync(AsyncDuplexStreamingCall<AgentMessage, HubMessage> call, Task reading)
    {
        try
        {
            await call.RequestStream.CompleteAsync().WaitAsync(s_shutdownGrace).ConfigureAwait(false);
            // The hub ends its response stream once it has seen ours end.
            await reading.WaitAsync(s_shutdownGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or TimeoutException or IOException)
        {
            // The call is cancelled right after; nothing more to do on the way out.
        }
    }

    private async Task ReadHubMessagesAsync(IAsyncStreamReader<HubMessage> responses, CancellationToken cancellationToken)
    {
        var ackedThisConnection = false;
        while (await responses.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var message = responses.Current;
            switch (message.PayloadCase)
            {
                case HubMessage.PayloadOneofCase.Ack:
                    Interlocked.Exchange(ref _lastAckedSequence, message.Ack.Sequence);
                    AgentLog.Acked(logger, message.Ack.Sequence);
                    if (!ackedThisConnection)
                    {
                        // The hub stores what we send: this connection works, so a later failure starts at 1 s.
                        ackedThisConnection = true;
                        _backoff.Reset();
                    }

                    break;
                case HubMessage.PayloadOneofCase.Settings:
                    ApplySettings(message.Settings);
                    break;
            }
        }
    }

    private void ApplySettings(Settings settings)
    {
        // Zero means "keep what you have".
        if (settings.SampleIntervalMs != 0)
        {
            Volatile.Write(ref _sampleIntervalMs, AgentOptions.ClampInterval((int)Math.Min(settings.SampleIntervalMs, int.MaxValue)));
        }

        if (settings.TopProcesses != 0)
        {
            sampler.TopProcesses = (int)Math.Min(settings.TopProcesses, AgentOptions.MaxTopProcesses);
        }

        AgentLog.SettingsApplied(logger, Volatile.Read(ref _sampleIntervalMs), sampler.TopProcesses);
    }
}
