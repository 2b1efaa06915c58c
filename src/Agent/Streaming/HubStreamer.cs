using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Agent.Identity;
using SysMon.Agent.Native;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Streaming;

/// <summary>
/// Samples the host on a steady cadence and streams the samples to a hub over AgentIngest.Connect, keeping every
/// sample until a hub acknowledges it and replaying the unacknowledged ones after a reconnect.
/// </summary>
/// <remarks>
/// Two loops share a <see cref="ReplayBuffer"/>: the sampler adds a sample per tick whether or not a hub is
/// reachable (so its cadence never waits on the network), and the sender writes what a connection has not sent
/// yet, one awaited write at a time. Sequence numbers are given when a sample is taken, so a replayed sample keeps
/// its number and the hub can tell a resend. Hub addresses are taken round robin (<see cref="HubRotation"/>).
/// </remarks>
internal sealed class HubStreamer : BackgroundService
{
    // How long a clean end of stream (shutdown, or a hub's Reconnect) waits for the hub before the call is cancelled.
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromSeconds(2);

    // How often the acknowledgement watchdog looks: a tenth of the timeout (3 s for the default 30 s), at least
    // every 500 ms, at most every 5 s. Each look wakes two threads; on an idle host that was a tenth of the agent's
    // wake-ups at a fixed 500 ms, for a check whose answer only matters after tens of seconds.
    private static TimeSpan WatchdogPeriod(TimeSpan ackTimeout) =>
        TimeSpan.FromMilliseconds(Math.Clamp(ackTimeout.TotalMilliseconds / 10, 500, 5_000));

    // A few samples in, once the state the loop keeps exists, startup's memory is given back (StartupMemory).
    private const int SamplesBeforeStartupCollection = 3;

    private readonly Sampler _sampler;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<HubStreamer> _logger;
    private readonly AgentOptions _options;
    private readonly int _bufferSeconds;
    private readonly TimeSpan _ackTimeout;
    private readonly ReplayBuffer _buffer;

    // Wakes the sender when the sampler adds a sample; one pending wake-up stands for any number of samples.
    private readonly Channel<bool> _samplesAdded = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
        SingleWriter = true,
    });

    private int _sampleIntervalMs;
    private ulong _sequence; // the last sequence given; only the sampler writes it
    private ulong _lastAckedSequence;
    private bool _overflowing; // sampler loop only
    private ulong _droppedBeforeOverflow; // sampler loop only
    private bool _reportedUnreachable; // connect loop only
    private AgentCredentialFile? _credentialFile;
    private HubTls _tls = HubTls.System;
    private string? _credential; // connect loop only: the credential a hub issued, preferred over an enrollment token

    public HubStreamer(Sampler sampler, IOptions<AgentOptions> options, IHostApplicationLifetime lifetime, ILogger<HubStreamer> logger)
    {
        _sampler = sampler;
        _lifetime = lifetime;
        _logger = logger;
        _options = options.Value;
        _sampleIntervalMs = AgentOptions.ClampInterval(_options.SampleIntervalMs);
        _bufferSeconds = AgentOptions.ClampBufferSeconds(_options.BufferSeconds);
        _ackTimeout = TimeSpan.FromSeconds(Math.Max(_options.AckTimeoutSeconds, 0));
        _buffer = new ReplayBuffer(ReplayBuffer.CapacityFor(_bufferSeconds, _sampleIntervalMs));
    }

    /// <summary>The highest sequence a hub acknowledged (cumulative).</summary>
    internal ulong LastAckedSequence => Interlocked.Read(ref _lastAckedSequence);

    private enum EndKind
    {
        Failed,
        Redirected,
        AckTimedOut,
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_options.HubUrl))
        {
            AgentLog.StreamingDisabled(_logger);
            return;
        }

        var addresses = HubAddresses.Parse(_options.HubUrl, out var invalid);
        foreach (var entry in invalid)
        {
            AgentLog.BadHubUrlEntry(_logger, entry);
        }

        if (addresses.Count == 0)
        {
            // Logged, not thrown: a bad URL must not stop a host (the hub) that runs this agent in-process.
            AgentLog.BadHubUrl(_logger, _options.HubUrl);
            return;
        }

        foreach (var hub in Configuration.AgentOptionsValidation.CleartextTokenHubs(_options))
        {
            AgentLog.TokenInCleartext(_logger, hub);
        }

        var channels = new GrpcChannel?[addresses.Count];
        try
        {
            // The hub runs this agent in-process; its Kestrel is not listening before ApplicationStarted.
            await WaitForApplicationStartedAsync(stoppingToken).ConfigureAwait(false);
            var machineId = MachineIdentity.Resolve(_options.MachineId, HostPaths.From(_options).EtcRoot, _options.StateDirectory, _logger);
            _credentialFile = new AgentCredentialFile(_options.StateDirectory, _logger);
            _tls = HubTls.From(_options); // validated at start: a bad file or pin has stopped the agent before this
            _credential = _credentialFile.LoadUnlessConfigured(_options.Token);
            _sampler.Prime();
            var sampling = SampleLoopAsync(stoppingToken);
            try
            {
                await ConnectLoopAsync(addresses, channels, machineId, stoppingToken).ConfigureAwait(false);
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
        finally
        {
            foreach (var channel in channels)
            {
                channel?.Dispose();
            }
        }
    }

    private static string Describe(Exception e) => e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;

    private async Task WaitForApplicationStartedAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Register runs the callback at once when the host has already started.
        using var onStarted = _lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task SampleLoopAsync(CancellationToken cancellationToken)
    {
        var intervalMs = Volatile.Read(ref _sampleIntervalMs);
        // PeriodicTimer keeps the cadence steady: a slow reading shortens the next wait instead of shifting it.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(intervalMs));
        var samplesTaken = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    var sample = _sampler.Read();
                    sample.Sequence = _sequence + 1;
                    Volatile.Write(ref _sequence, sample.Sequence);
                    AddToBuffer(sample);
                    _samplesAdded.Writer.TryWrite(true);
                    if (++samplesTaken == SamplesBeforeStartupCollection)
                    {
                        StartupMemory.Release();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    AgentLog.SamplingFailed(_logger, e);
                }

                var wantedMs = Volatile.Read(ref _sampleIntervalMs);
                if (wantedMs != intervalMs)
                {
                    intervalMs = wantedMs;
                    timer.Period = TimeSpan.FromMilliseconds(intervalMs);
                    var droppedBefore = _buffer.Dropped;
                    _buffer.Resize(ReplayBuffer.CapacityFor(_bufferSeconds, intervalMs));
                    NoteDrops(droppedBefore);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private void AddToBuffer(Sample sample)
    {
        if (_overflowing && _buffer.Count < _buffer.Capacity)
        {
            _overflowing = false;
            AgentLog.BufferRecovered(_logger, _buffer.Dropped - _droppedBeforeOverflow);
        }

        var droppedBefore = _buffer.Dropped;
        _buffer.Add(sample);
        NoteDrops(droppedBefore);
    }

    // One warning per overflow episode, not one per dropped sample: at one sample a second that would flood the log.
    private void NoteDrops(ulong droppedBefore)
    {
        var dropped = _buffer.Dropped;
        if (dropped > droppedBefore && !_overflowing)
        {
            _overflowing = true;
            _droppedBeforeOverflow = droppedBefore;
            AgentLog.BufferOverflow(_logger, _buffer.Capacity, dropped);
        }
    }

    private async Task ConnectLoopAsync(List<Uri> addresses, GrpcChannel?[] channels, string machineId, CancellationToken cancellationToken)
    {
        var rotation = new HubRotation(addresses.Count, ReconnectBackoff.CreateDefault());
        while (!cancellationToken.IsCancellationRequested)
        {
            var index = rotation.Current;
            var hubUrl = addresses[index].OriginalString;
            ConnectionEnd end;
            try
            {
                // One channel per address, made on first use and kept: it holds the HTTP/2 connection.
                var channel = channels[index] ??= HubChannel.Create(addresses[index], _tls);
                end = await RunConnectionAsync(channel, hubUrl, machineId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                end = new ConnectionEnd(ConnectionOutcome.Failed, e.Message, Answered: false);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // Log transitions once at Warning; the retries themselves are Debug noise.
            if (end.Answered)
            {
                _reportedUnreachable = false;
                if (end.Outcome != ConnectionOutcome.Redirected)
                {
                    AgentLog.Disconnected(_logger, hubUrl, end.Reason);
                }
            }
            else if (!_reportedUnreachable)
            {
                _reportedUnreachable = true;
                AgentLog.Unreachable(_logger, hubUrl, end.Reason);
            }

            var delay = rotation.Advance(end.Outcome);
            AgentLog.Reconnecting(_logger, addresses[rotation.Current].OriginalString, delay, rotation.BackoffAttempt, end.Reason);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One connection's life, from the hello to whatever ended it. Throws only on shutdown.</summary>
    private async Task<ConnectionEnd> RunConnectionAsync(
        GrpcChannel channel, string hubUrl, string machineId, CancellationToken cancellationToken)
    {
        using var connection = new Connection(_ackTimeout, cancellationToken);
        AsyncDuplexStreamingCall<AgentMessage, HubMessage>? call = null;
        Task? reading = null;
        Task? watching = null;
        try
        {
            call = new AgentIngest.AgentIngestClient(channel).Connect(HubChannel.Headers(_credential ?? _options.Token), cancellationToken: connection.Call.Token);
            var hello = SystemInfo.ReadPlatformHello(_options, machineId, Volatile.Read(ref _sampleIntervalMs), _sampler.CollectorNames);
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }, connection.Writes.Token).ConfigureAwait(false);

            // Everything sampled before this point was taken without this hub: it goes out as history.
            var cursor = new StreamCursor(Volatile.Read(ref _sequence) + 1);
            reading = ReadHubMessagesAsync(call.ResponseStream, connection, hubUrl, machineId);
            watching = WatchAcknowledgementsAsync(connection);
            var backlog = _buffer.Count;
            if (backlog > 0)
            {
                AgentLog.Replaying(_logger, backlog, hubUrl);
            }

            await SendSamplesAsync(call.RequestStream, cursor, connection).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connection.Sending.IsCancellationRequested || connection.Writes.IsCancellationRequested)
        {
            // The connection ended (its reason is recorded) or the agent is shutting down.
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or IOException or InvalidOperationException)
        {
            connection.End(Describe(e), EndKind.Failed);
        }
        finally
        {
            // A hub that asked us to leave, and one we leave on shutdown, get a clean end of stream, not a reset.
            if ((cancellationToken.IsCancellationRequested || connection.Redirected) && call is not null && reading is { IsCompleted: false })
            {
                await CompleteGracefullyAsync(call, reading).ConfigureAwait(false);
            }

            connection.End("the connection was closed", EndKind.Failed);
            await connection.Call.CancelAsync().ConfigureAwait(false);
            if (reading is not null)
            {
                await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (watching is not null)
            {
                await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            call?.Dispose();
        }

        var outcome = HubRotation.Classify(
            connection.Redirected, connection.AckTimedOut, connection.Answered, connection.Acknowledged, connection.Age);
        return new ConnectionEnd(outcome, connection.Reason ?? "the connection was closed", connection.Answered);
    }

    private async Task SendSamplesAsync(IClientStreamWriter<AgentMessage> requests, StreamCursor cursor, Connection connection)
    {
        var sending = connection.Sending.Token;
        while (true)
        {
            // Take the wake-up before looking, so a sample added after the look still ends the wait below.
            _samplesAdded.Reader.TryRead(out _);
            while (!sending.IsCancellationRequested && cursor.TryNext(_buffer, out var sample))
            {
                connection.Watchdog.OnSent(sample.Sequence, connection.Age);
                // One write in flight, awaited: when the hub stops reading, HTTP/2 flow control holds the sender here
                // while the sampler keeps filling the buffer.
                await requests.WriteAsync(new AgentMessage { Sample = sample }, connection.Writes.Token).ConfigureAwait(false);
            }

            await _samplesAdded.Reader.WaitToReadAsync(sending).ConfigureAwait(false);
        }
    }

    private async Task ReadHubMessagesAsync(
        IAsyncStreamReader<HubMessage> responses, Connection connection, string hubUrl, string machineId)
    {
        try
        {
            while (await responses.MoveNext(connection.Call.Token).ConfigureAwait(false))
            {
                var message = responses.Current;
                if (!connection.Answered)
                {
                    connection.Answered = true;
                    AgentLog.Connected(_logger, hubUrl, machineId);
                }

                switch (message.PayloadCase)
                {
                    case HubMessage.PayloadOneofCase.Ack:
                        OnAck(message.Ack.Sequence, connection);
                        break;
                    case HubMessage.PayloadOneofCase.Settings:
                        ApplySettings(message.Settings);
                        break;
                    case HubMessage.PayloadOneofCase.Credential:
                        _credential = message.Credential.Token;
                        if (_credentialFile?.Save(_credential) is { } path)
                        {
                            AgentLog.Enrolled(_logger, hubUrl, path);
                        }
                        else
                        {
                            AgentLog.CredentialNotSaved(_logger, hubUrl);
                        }
                        break;
                    case HubMessage.PayloadOneofCase.Reconnect:
                        AgentLog.ReconnectRequested(_logger, hubUrl, message.Reconnect.Reason);
                        // Reading goes on: acknowledgements the hub still sends save replaying those samples.
                        connection.End("the hub asked to reconnect: " + message.Reconnect.Reason, EndKind.Redirected);
                        break;
                }
            }

            connection.End("the hub closed the stream", EndKind.Failed);
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException or OperationCanceledException)
        {
            connection.End(Describe(e), EndKind.Failed);
        }
    }

    private void OnAck(ulong sequence, Connection connection)
    {
        _buffer.AckUpTo(sequence);
        connection.Watchdog.OnAck(sequence, connection.Age);
        connection.Acknowledged = true;
        var previous = Interlocked.Read(ref _lastAckedSequence);
        if (sequence > previous)
        {
            Interlocked.Exchange(ref _lastAckedSequence, sequence);
        }

        AgentLog.Acked(_logger, sequence);
    }

    private async Task WatchAcknowledgementsAsync(Connection connection)
    {
        if (_ackTimeout <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(WatchdogPeriod(_ackTimeout));
        try
        {
            while (await timer.WaitForNextTickAsync(connection.Sending.Token).ConfigureAwait(false))
            {
                if (connection.Watchdog.IsOverdue(connection.Age))
                {
                    connection.End(
                        string.Create(CultureInfo.InvariantCulture, $"no acknowledgement for {_ackTimeout.TotalSeconds} s"), EndKind.AckTimedOut);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended.
        }
    }

    private static async Task CompleteGracefullyAsync(AsyncDuplexStreamingCall<AgentMessage, HubMessage> call, Task reading)
    {
        try
        {
            await call.RequestStream.CompleteAsync().WaitAsync(s_closeGrace).ConfigureAwait(false);
            // The hub ends its response stream once it has seen ours end.
            await reading.WaitAsync(s_closeGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or TimeoutException or IOException or OperationCanceledException)
        {
            // The call is cancelled right after; nothing more to do on the way out.
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
            _sampler.TopProcesses = (int)Math.Min(settings.TopProcesses, AgentOptions.MaxTopProcesses);
        }

        // A hub that predates versions sends none: it speaks 1.0.
        AgentLog.SettingsApplied(_logger, Volatile.Read(ref _sampleIntervalMs), _sampler.TopProcesses,
            settings.ProtocolVersion == 0 ? 1 : settings.ProtocolVersion, settings.ProtocolMinor);
    }

    private readonly record struct ConnectionEnd(ConnectionOutcome Outcome, string Reason, bool Answered);

    /// <summary>The state one connection's sender, reader and watchdog share.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly Lock _lock = new();
        private readonly long _startedAt = Stopwatch.GetTimestamp();
        private volatile bool _answered;
        private volatile bool _acknowledged;
        private volatile string? _reason;

        public Connection(TimeSpan ackTimeout, CancellationToken stoppingToken)
        {
            Watchdog = new AckWatchdog(ackTimeout);
            Sending = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            Writes = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        }

        /// <summary>Cancels the gRPC call. Not linked to the stopping token: on shutdown the request stream is
        /// completed first, so the hub sees a clean end of stream instead of a reset.</summary>
        public CancellationTokenSource Call { get; } = new();

        /// <summary>Stops the sender between writes.</summary>
        public CancellationTokenSource Sending { get; }

        /// <summary>Aborts a write in flight, which may be held indefinitely by flow control.</summary>
        public CancellationTokenSource Writes { get; }

        public AckWatchdog Watchdog { get; }

        public TimeSpan Age => Stopwatch.GetElapsedTime(_startedAt);

        /// <summary>The hub sent something: it took the hello.</summary>
        public bool Answered { get => _answered; set => _answered = value; }

        public bool Acknowledged { get => _acknowledged; set => _acknowledged = value; }

        public bool Redirected { get; private set; }

        public bool AckTimedOut { get; private set; }

        /// <summary>Why the connection ended; the first reason given wins.</summary>
        public string? Reason => _reason;

        public void End(string reason, EndKind kind)
        {
            lock (_lock)
            {
                if (_reason is not null)
                {
                    return;
                }

                Redirected = kind == EndKind.Redirected;
                AckTimedOut = kind == EndKind.AckTimedOut;
                _reason = reason;
            }

            Sending.Cancel();
            if (kind == EndKind.Redirected)
            {
                // Let a write in flight finish, so the hub that is leaving gets a clean end of stream; not forever.
                Writes.CancelAfter(s_closeGrace);
            }
            else
            {
                Writes.Cancel();
            }
        }

        public void Dispose()
        {
            Call.Dispose();
            Sending.Dispose();
            Writes.Dispose();
        }
    }
}
