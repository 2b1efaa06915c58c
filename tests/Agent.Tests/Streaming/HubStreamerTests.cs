using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SysMon.Agent.Streaming;

namespace SysMon.Agent.Tests.Streaming;

/// <summary>The real streamer, sampling this machine, against scripted hubs on loopback.</summary>
public sealed class HubStreamerTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WhenItsHubDiesTheAgentStreamsToTheNextAtOnceAndReplaysWhatWasNotAcknowledged()
    {
        await using var a = await ScriptedHub.StartAsync();
        await using var b = await ScriptedHub.StartAsync();
        await using var agent = await RunningAgent.StartAsync($"{a.Url},{b.Url}");

        await Until(() => a.Acked >= 3, "hub A stores samples");
        a.Acks = false; // A keeps taking samples but stores none of them, like a hub waiting for Redis
        var ackedByA = a.Acked;
        await Until(() => a.Received.Count(r => r.Sequence > ackedByA) >= 3, "hub A swallows samples");
        var lastSeenByA = a.Sequences.Max();
        var killedAt = Stopwatch.GetTimestamp();
        await a.KillAsync();

        await Until(() => !b.Received.IsEmpty, "the agent streams to hub B");
        var failover = Stopwatch.GetElapsedTime(killedAt);
        await Until(() => b.Received.Any(r => !r.Replayed), "hub B gets live samples");

        var atB = b.Received.ToArray();
        Assert.True(failover < TimeSpan.FromSeconds(3), $"failover took {failover}");
        Assert.Equal(ackedByA + 1, atB[0].Sequence);
        Assert.Equal(Enumerable.Range((int)ackedByA + 1, atB.Length).Select(i => (ulong)i), atB.Select(r => r.Sequence));
        Assert.All(atB.Where(r => r.Sequence <= lastSeenByA), r => Assert.True(r.Replayed, $"{r.Sequence} is replayed"));
        Assert.Equal(1, b.Connections);
        Assert.True(agent.Streamer.LastAckedSequence >= lastSeenByA);
    }

    [Fact]
    public async Task AHubThatSaysReconnectIsLeftAtOnceForTheNext()
    {
        await using var a = await ScriptedHub.StartAsync();
        await using var b = await ScriptedHub.StartAsync();
        await using var agent = await RunningAgent.StartAsync($"{a.Url},{b.Url}");

        await Until(() => a.Acked >= 2, "hub A stores samples");
        var askedAt = Stopwatch.GetTimestamp();
        a.SendReconnect();

        await Until(() => !b.Received.IsEmpty, "the agent streams to hub B");
        var moved = Stopwatch.GetElapsedTime(askedAt);
        await Until(() => b.Received.Any(r => !r.Replayed), "hub B gets live samples");

        Assert.True(moved < TimeSpan.FromSeconds(3), $"moving took {moved}");
        var all = a.Sequences.Where(s => s <= a.Acked).Concat(b.Sequences).Distinct().Order().ToArray();
        Assert.Equal(Enumerable.Range(1, all.Length).Select(i => (ulong)i), all);
    }

    [Fact]
    public async Task AHubThatNeverAcknowledgesIsLeftAfterTheAckTimeoutAndNothingIsLost()
    {
        await using var a = await ScriptedHub.StartAsync();
        await using var b = await ScriptedHub.StartAsync();
        a.Acks = false;
        await using var agent = await RunningAgent.StartAsync($"{a.Url},{b.Url}", ackTimeoutSeconds: 1);

        await Until(() => b.Received.Any(r => !r.Replayed), "the agent gives up on hub A and streams live to hub B");

        var atB = b.Received.ToArray();
        Assert.NotEmpty(a.Received);
        Assert.Equal(1UL, atB[0].Sequence);
        Assert.True(atB[0].Replayed);
        Assert.Equal(Enumerable.Range(1, atB.Length).Select(i => (ulong)i), atB.Select(r => r.Sequence));
    }

    [Fact]
    public async Task WithOneAddressABrokenStreamIsRedialledAndReplayedThere()
    {
        await using var hub = await ScriptedHub.StartAsync();
        await using var agent = await RunningAgent.StartAsync(hub.Url);

        await Until(() => hub.Acked >= 2, "the hub stores samples");
        hub.Acks = false;
        var acked = hub.Acked;
        await Until(() => hub.Received.Count(r => r.Sequence > acked) >= 2, "the hub swallows samples");
        hub.Acks = true;
        hub.SendReconnect();

        await Until(() => hub.Received.Any(r => r.Connection == 2 && !r.Replayed), "the agent is back, live");

        var second = hub.Received.Where(r => r.Connection == 2).ToArray();
        Assert.Equal(acked + 1, second[0].Sequence);
        Assert.True(second[0].Replayed);
    }

    [Fact]
    public async Task AFullBufferDropsTheOldestCountsEveryDropOnLaterSamplesAndWarnsOncePerEpisode()
    {
        await using var hub = await ScriptedHub.StartAsync();
        hub.Acks = false;
        var log = new ListLogger();
        // One second at 250 ms is four samples: the buffer holds its minimum of 16.
        await using var agent = await RunningAgent.StartAsync(hub.Url, ackTimeoutSeconds: 0, bufferSeconds: 1, log);

        await Until(() => hub.Received.Any(r => r.DroppedTotal >= 3), "samples overflow the buffer");
        hub.Acks = true;
        await Until(() => log.Has("BufferRecovered"), "an acknowledgement empties the buffer");

        var received = hub.Received.ToArray();
        Assert.All(received.Where(r => r.Sequence <= 16), r => Assert.Equal(0UL, r.DroppedTotal));
        Assert.Equal(1UL, received.Single(r => r.Sequence == 17).DroppedTotal);
        Assert.Equal(2UL, received.Single(r => r.Sequence == 18).DroppedTotal);
        Assert.Single(log.Events, e => e == "BufferOverflow");
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var started = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(started.Elapsed < s_deadline, $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    private sealed class RunningAgent : IAsyncDisposable
    {
        private RunningAgent(HubStreamer streamer) => Streamer = streamer;

        public HubStreamer Streamer { get; }

        public static async Task<RunningAgent> StartAsync(
            string hubUrl, int ackTimeoutSeconds = 30, int bufferSeconds = 900, ILogger<HubStreamer>? logger = null)
        {
            var options = new AgentOptions
            {
                HubUrl = hubUrl,
                MachineId = "streamer-test",
                SampleIntervalMs = AgentOptions.MinSampleIntervalMs,
                TopProcesses = 1,
                AckTimeoutSeconds = ackTimeoutSeconds,
                BufferSeconds = bufferSeconds,
            };
            var streamer = new HubStreamer(
                Sampler.Create(options), Options.Create(options), new StartedLifetime(), logger ?? NullLogger<HubStreamer>.Instance);
            await streamer.StartAsync(CancellationToken.None).WaitAsync(s_deadline);
            return new RunningAgent(streamer);
        }

        public async ValueTask DisposeAsync()
        {
            await Streamer.StopAsync(CancellationToken.None).WaitAsync(s_deadline);
            Streamer.Dispose();
        }
    }

    /// <summary>Keeps the names of the events logged, which is what the tests look at.</summary>
    private sealed class ListLogger : ILogger<HubStreamer>
    {
        private readonly ConcurrentQueue<string> _events = new();

        public IEnumerable<string> Events => _events;

        public bool Has(string eventName) => _events.Contains(eventName);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _events.Enqueue(eventId.Name ?? "");
    }

    private sealed class StartedLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(canceled: true);

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
