using System.Net.Http.Json;
using System.Text.Json;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// Failures with real processes: a hub killed, a hub stopped, Redis stopped. Each test builds its own
/// Redis and hubs, since it breaks them.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class FailoverTests
{
    private static string NewId(string what) => $"fail-{what}-{Guid.NewGuid():N}"[..36];

    private static long LatestLiveTimestamp(Viewer viewer, string machineId) =>
        viewer.SamplesOf(machineId).Select(s => s.GetProperty("timestampUnixMs").GetInt64()).DefaultIfEmpty(0).Max();

    /// <summary>Timestamps of the raw history of a machine in a window, as the hub serves them.</summary>
    private static async Task<List<long>> HistoryTimestampsAsync(HubProcess hub, string machineId, long fromMs, long toMs)
    {
        using var http = new HttpClient { BaseAddress = hub.WebUrl, Timeout = TimeSpan.FromSeconds(10) };
        var history = await http.GetFromJsonAsync<JsonElement>($"api/machines/{machineId}/history?from={fromMs}&to={toMs}&step=1");
        return history.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("timestampUnixMs").GetInt64()).ToList();
    }

    /// <summary>The largest distance between consecutive samples, and between the window's edges and the nearest sample.</summary>
    private static long WidestGapMs(List<long> timestamps, long fromMs, long toMs)
    {
        var edges = timestamps.Prepend(fromMs).Append(toMs).ToList();
        return edges.Zip(edges.Skip(1), (earlier, later) => later - earlier).Max();
    }

    private static async Task<(RedisServer Redis, HubProcess A, HubProcess B)> StartFleetAsync(string name)
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        var hubs = await Task.WhenAll(
            HubProcess.StartAsync($"{name}-a", redis.ConnectionString),
            HubProcess.StartAsync($"{name}-b", redis.ConnectionString));
        return (redis, hubs[0], hubs[1]);
    }

    [Fact]
    public async Task HubKilledWhileAnAgentStreamsTheAgentMovesWithin5SecondsAndHistoryHasNoGap()
    {
        var (redis, a, b) = await StartFleetAsync("kill");
        try
        {
            var agentId = NewId("kill");
            await using var viewer = await Viewer.ConnectAsync(b.WebUrl);
            await viewer.SubscribeAsync(agentId);
            await using var agent = AgentProcess.Start(agentId, [a.GrpcUrl, b.GrpcUrl]);
            // Long enough before the kill that the whole window checked below was sampled.
            await Deadline.Until(() => viewer.SamplesOf(agentId).Count >= 7, "the agent streams through hub A", TimeSpan.FromSeconds(60));

            await a.Process.KillAsync();
            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            try
            {
                await Deadline.Until(() => LatestLiveTimestamp(viewer, agentId) > killedAt,
                    "a live sample taken after the kill reaches the viewer on hub B", TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}\n{agent}\n{b}", ex);
            }

            // History of the outage window, as hub B serves it: every second present (samples taken
            // while no hub was reachable were replayed from the agent's buffer).
            var from = killedAt - 5_000;
            var to = killedAt + 5_000;
            await Deadline.Until(() => LatestLiveTimestamp(viewer, agentId) > to + 1_000, "the agent streamed past the window");
            var timestamps = await HistoryTimestampsAsync(b, agentId, from, to).WithTimeout();
            // Every sample the agent sent (seen live through hub A or B, or replayed after the kill) is in history.
            var seen = viewer.SamplesOf(agentId).Concat(viewer.Backfill.Where(s => s.GetProperty("machineId").GetString() == agentId))
                .Select(s => s.GetProperty("timestampUnixMs").GetInt64()).Where(t => t >= from && t <= to).ToHashSet();
            var missing = seen.Where(t => !timestamps.Contains(t)).Order().ToList();
            Assert.True(missing.Count == 0,
                $"samples missing from history around the kill: {string.Join(", ", missing.Select(t => t - killedAt))}; stored: {string.Join(", ", timestamps.Select(t => t - killedAt))}");
            // And no hole: a starved agent on a loaded two-core host may skip one tick (two intervals), a failover must not lose more.
            Assert.True(WidestGapMs(timestamps, from, to) <= 2_600,
                $"gap of {WidestGapMs(timestamps, from, to)} ms in history around the kill: {string.Join(", ", timestamps.Select(t => t - killedAt))}");
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            await redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task RedisStoppedFor20SecondsNothingRestartsAndFanOutAndHistoryResumeWithin5Seconds()
    {
        var (redis, a, b) = await StartFleetAsync("redis");
        try
        {
            var agentId = NewId("redis");
            await using var viewer = await Viewer.ConnectAsync(b.WebUrl);
            await viewer.SubscribeAsync(agentId);
            await using var agent = AgentProcess.Start(agentId, a.GrpcUrl);
            await Deadline.Until(() => viewer.SamplesOf(agentId).Count >= 3, "the agent streams through hub A to hub B", TimeSpan.FromSeconds(60));
            var processes = new[] { a.Process.Id, b.Process.Id, agent.Id };

            await redis.StopAsync();
            var stoppedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // The outage itself lasts 20 s: this wait is the scenario, not a synchronisation.
            await Task.Delay(TimeSpan.FromSeconds(20));
            await redis.RestartAsync();
            var restartedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            try
            {
                await Deadline.Until(() => LatestLiveTimestamp(viewer, agentId) > restartedAt,
                    "live fan-out from hub A to the viewer on hub B resumes", TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}\n{agent}\n{a}\n{b}", ex);
            }
            Assert.False(a.Process.HasExited || b.Process.HasExited || agent.HasExited, "a process exited during the outage");
            Assert.Equal(processes, new[] { a.Process.Id, b.Process.Id, agent.Id });

            // Everything the agent sampled during the outage ends up in history, without a gap.
            var from = stoppedAt - 3_000;
            var to = restartedAt + 2_000;
            List<long> timestamps = [];
            await Deadline.Until(async () =>
            {
                timestamps = await HistoryTimestampsAsync(b, agentId, from, to);
                return WidestGapMs(timestamps, from, to) <= 1_600;
            }, "history of the outage is complete", TimeSpan.FromSeconds(15));
            Assert.InRange(timestamps.Count, 24, 30);
            Assert.NotEmpty(viewer.Backfill); // the held samples reached the viewer as history, not as live points
            Assert.All(viewer.SamplesOf(agentId), s => Assert.False(s.GetProperty("replayed").GetBoolean()));
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            await redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task HubStoppedWithSigtermSendsItsAgentsAndViewersElsewhereFirst()
    {
        var (redis, a, b) = await StartFleetAsync("drain");
        try
        {
            var agentId = NewId("drain");
            await using var viewerOnA = await Viewer.ConnectAsync(a.WebUrl);
            await using var viewerOnB = await Viewer.ConnectAsync(b.WebUrl);
            await viewerOnB.SubscribeAsync(agentId);
            await using var agent = AgentProcess.Start(agentId, [a.GrpcUrl, b.GrpcUrl]);
            await using var simulated = await SimulatedAgent.ConnectAsync(a.GrpcUrl, NewId("sim"));
            await Deadline.Until(() => viewerOnB.SamplesOf(agentId).Count >= 2 && simulated.Settings is not null, "both agents stream to hub A");

            var exitCode = await a.Process.TerminateAsync(TimeSpan.FromSeconds(20));
            var stoppedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            Assert.True(exitCode == 0, $"hub A exited with {exitCode}\n{a}");
            Assert.True(simulated.ToldToReconnect, "the agent stream got a Reconnect before the hub exited");
            Assert.True(viewerOnA.ToldToReconnect, $"the viewer got a reconnect message before the hub exited\n{a}");
            await Deadline.Until(() => LatestLiveTimestamp(viewerOnB, agentId) > stoppedAt,
                "the real agent streams to hub B", TimeSpan.FromSeconds(5));
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            await redis.DisposeAsync();
        }
    }

    /// <summary>
    /// A rolling upgrade as Kubernetes does it: each hub in turn stopped with SIGTERM and replaced by a new
    /// one on the same address, while an agent streams. History of the whole roll has no hole.
    /// </summary>
    [Fact]
    public async Task RollingEveryHubOneAtATimeDropsNoSample()
    {
        var (redis, a, b) = await StartFleetAsync("roll");
        HubProcess? a2 = null;
        HubProcess? b2 = null;
        try
        {
            var agentId = NewId("roll");
            await using var agent = AgentProcess.Start(agentId, [a.GrpcUrl, b.GrpcUrl]);
            var startedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            async Task<long> LatestStoredAsync(HubProcess hub) =>
                (await HistoryTimestampsAsync(hub, agentId, startedAt - 60_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1_000)).DefaultIfEmpty(0).Max();
            await Deadline.Until(async () => await LatestStoredAsync(b) > startedAt + 3_000, "the agent streams", TimeSpan.FromSeconds(60));

            // Hub A is replaced: stopped, then started again on its address (a new pod behind the same Service).
            Assert.Equal(0, await a.Process.TerminateAsync(TimeSpan.FromSeconds(20)));
            var aStopped = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            a2 = await HubProcess.StartAsync("roll-a2", redis.ConnectionString, webPort: a.WebUrl.Port, grpcPort: a.GrpcUrl.Port);
            await Deadline.Until(async () => await LatestStoredAsync(a2) > aStopped + 2_000, "samples are stored after hub A stopped");

            // Then hub B, the same way.
            Assert.Equal(0, await b.Process.TerminateAsync(TimeSpan.FromSeconds(20)));
            var bStopped = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            b2 = await HubProcess.StartAsync("roll-b2", redis.ConnectionString, webPort: b.WebUrl.Port, grpcPort: b.GrpcUrl.Port);
            await Deadline.Until(async () => await LatestStoredAsync(b2) > bStopped + 3_000, "samples are stored after hub B stopped");

            var to = bStopped + 2_000;
            var timestamps = await HistoryTimestampsAsync(b2, agentId, startedAt, to).WithTimeout();
            startedAt = timestamps[0]; // from the agent's first sample (it takes a few seconds to start)
            // One tick a starved agent skips on a loaded two-core host is two intervals; a roll must not lose more.
            Assert.True(WidestGapMs(timestamps, startedAt, to) <= 2_600,
                $"gap of {WidestGapMs(timestamps, startedAt, to)} ms in history across the roll (A stopped at {aStopped - startedAt} ms, B at {bStopped - startedAt} ms): "
                + string.Join(", ", timestamps.Select(t => t - startedAt)) + $"\n{agent}");
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            if (a2 is not null) await a2.DisposeAsync();
            if (b2 is not null) await b2.DisposeAsync();
            await redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "failover";
}
