using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.SignalR.Client;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>History, processes, /metrics and the fleet stream of a lone hub, fed over real gRPC.</summary>
public sealed class HistoryApiTests(HubFactory hub) : IClassFixture<HubFactory>
{
    // Whole minutes ago, so the samples fill closed steps of every tier.
    private static readonly long Start = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 300) / 60 * 60;

    private async Task<string> FeedAsync(int seconds, string hostname = "history-host")
    {
        var machineId = "api-" + Guid.NewGuid().ToString("N")[..12];
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = machineId, Hostname = hostname } }).WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
        for (var i = 0; i < seconds; i++)
        {
            await call.RequestStream.WriteAsync(new AgentMessage
            {
                Sample = new Sample
                {
                    Sequence = (ulong)i + 1,
                    TimestampUnixMs = (Start + i) * 1000,
                    Replayed = true,
                    Cpu = new CpuSample { TotalPercent = i % 10, Load1M = 0.5 },
                    Memory = new MemorySample { TotalBytes = 4UL << 30, UsedBytes = 1UL << 30 },
                    NetworkInterfaces = { new NetworkInterfaceSample { Name = "eth0", RxBytesPerSecond = 1000 } },
                    Processes = { new ProcessSample { Pid = 7, Name = "stress", User = "root", CpuPercent = 99 } },
                },
            }).WithTimeout();
            Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
            Assert.Equal((ulong)i + 1, call.ResponseStream.Current.Ack.Sequence);
        }
        await call.RequestStream.CompleteAsync().WithTimeout();
        return machineId;
    }

    [Fact]
    public async Task HistoryAtOneSecondReturnsEverySampleInTheRange()
    {
        var id = await FeedAsync(30);
        using var http = hub.CreateClient();

        var history = await http.GetFromJsonAsync<JsonElement>($"/api/machines/{id}/history?from={Start * 1000}&to={(Start + 30) * 1000}&step=1").WithTimeout();

        Assert.Equal("raw", history.GetProperty("tier").GetString());
        var points = history.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(30, points.Count);
        Assert.Equal((Start + 29) * 1000, points[^1].GetProperty("timestampUnixMs").GetInt64());
        Assert.Equal(9, points[9].GetProperty("cpu").GetProperty("avgPercent").GetDouble());
        Assert.Equal(1000UL, points[0].GetProperty("networkInterfaces")[0].GetProperty("rxBytesPerSecond").GetUInt64());
        Assert.Equal(1UL << 30, points[0].GetProperty("memory").GetProperty("usedBytes").GetUInt64());
    }

    [Fact]
    public async Task HistoryAtTenSecondsAveragesEachStep()
    {
        var id = await FeedAsync(30);
        using var http = hub.CreateClient();

        var history = await http.GetFromJsonAsync<JsonElement>($"/api/machines/{id}/history?from={Start * 1000}&to={(Start + 30) * 1000}&step=10s").WithTimeout();

        Assert.Equal(10, history.GetProperty("stepSeconds").GetInt32());
        var points = history.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(3, points.Count);
        Assert.All(points, p =>
        {
            Assert.Equal(4.5, p.GetProperty("cpu").GetProperty("avgPercent").GetDouble());
            Assert.Equal(0, p.GetProperty("cpu").GetProperty("minPercent").GetDouble());
            Assert.Equal(9, p.GetProperty("cpu").GetProperty("maxPercent").GetDouble());
            Assert.Equal(10, p.GetProperty("samples").GetInt32());
        });
    }

    [Fact]
    public async Task HistoryComesAsCsvByAcceptHeaderOrExtension()
    {
        var id = await FeedAsync(12);
        using var http = hub.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/machines/{id}/history?from={Start * 1000}&to={(Start + 12) * 1000}&step=1");
        request.Headers.Accept.ParseAdd("text/csv");

        using var byHeader = await http.SendAsync(request).WithTimeout();
        var byExtension = await http.GetStringAsync($"/api/machines/{id}/history.csv?from={Start * 1000}&to={(Start + 12) * 1000}&step=1").WithTimeout();

        Assert.Equal("text/csv", byHeader.Content.Headers.ContentType?.MediaType);
        var lines = (await byHeader.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(13, lines.Length);
        Assert.StartsWith("timestamp,timestamp_unix_ms,samples,cpu_avg_percent", lines[0], StringComparison.Ordinal);
        Assert.Contains("network eth0 rx_bytes_per_second", lines[0], StringComparison.Ordinal);
        Assert.Contains($",{(Start + 3) * 1000},1,3,", lines[4], StringComparison.Ordinal);
        Assert.Equal(lines, byExtension.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task ProcessesAtAPastMomentComeFromThatMinutesSnapshot()
    {
        var id = await FeedAsync(70);
        using var http = hub.CreateClient();

        var at = await http.GetFromJsonAsync<JsonElement>($"/api/machines/{id}/processes?at={(Start + 65) * 1000}").WithTimeout();
        var now = await http.GetFromJsonAsync<JsonElement>($"/api/machines/{id}/processes").WithTimeout();

        Assert.Equal((Start + 60) * 1000, at.GetProperty("timestampUnixMs").GetInt64());
        Assert.Equal("stress", at.GetProperty("processes")[0].GetProperty("name").GetString());
        Assert.Equal(99, at.GetProperty("processes")[0].GetProperty("cpuPercent").GetDouble());
        Assert.Equal((Start + 69) * 1000, now.GetProperty("timestampUnixMs").GetInt64());
    }

    [Theory]
    [InlineData("history?from=yesterday", "Bad 'from'")]
    [InlineData("history?to=abc", "Bad 'to'")]
    [InlineData("history?step=0", "Bad step")]
    [InlineData("history?step=1&from=1000&to=999999999", "Too many points")]
    [InlineData("history?from=2000&to=1000", "Bad time range")]
    [InlineData("processes?at=noon", "Bad 'at'")]
    public async Task BadParametersGet400WithAMessage(string query, string title)
    {
        var id = await FeedAsync(1);
        using var http = hub.CreateClient();

        using var response = await http.GetAsync($"/api/machines/{id}/{query}").WithTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout();
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Theory]
    [InlineData("/api/machines/unknown-machine/history")]
    [InlineData("/api/machines/unknown-machine/history.csv")]
    [InlineData("/api/machines/unknown-machine/processes")]
    [InlineData("/api/machines/unknown-machine")]
    public async Task UnknownMachinesGet404(string path)
    {
        using var http = hub.CreateClient();
        using var response = await http.GetAsync(path).WithTimeout();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task OneMachineComesWithItsLastSample()
    {
        var id = await FeedAsync(3);
        using var http = hub.CreateClient();

        var machine = await http.GetFromJsonAsync<JsonElement>($"/api/machines/{id}").WithTimeout();

        Assert.Equal("history-host", machine.GetProperty("hostname").GetString());
        Assert.Equal(id, machine.GetProperty("lastSample").GetProperty("machineId").GetString());
        Assert.Equal(3, machine.GetProperty("lastSample").GetProperty("sequence").GetInt32());
    }

    [Fact]
    public async Task MetricsUseNodeExporterNamesAndEscapeHostileLabels()
    {
        // The hub strips the newline (control characters); quote and backslash must be escaped in labels.
        var id = await FeedAsync(2, hostname: "evil\"host\\\nname");
        const string instance = "instance=\"evil\\\"host\\\\name\"";
        using var http = hub.CreateClient();

        var text = await http.GetStringAsync("/metrics").WithTimeout();

        Assert.Contains($"node_load1{{{instance},machine=\"{id}\"}} 0.5", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE node_memory_MemTotal_bytes gauge", text, StringComparison.Ordinal);
        Assert.Contains($"sysmon_network_receive_bytes_per_second{{{instance},machine=\"{id}\",device=\"eth0\"}} 1000", text, StringComparison.Ordinal);
        Assert.Matches(@"sysmon_hub_samples_stored_total\{hub=""[^""]+""\} [1-9]", text);
        Assert.Contains("sysmon_hub_connected_viewers", text, StringComparison.Ordinal);
        // Every line is a comment or "name{labels} value": a hostile name did not break the format.
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), line =>
            Assert.Matches(@"^(# (HELP|TYPE) .*|[a-zA-Z_:][a-zA-Z0-9_:]*\{.*\} [-+0-9.eEInfNa]+)$", line));
    }

    [Fact]
    public async Task FleetViewerGetsEveryMachineAtOnceAndThenUpdates()
    {
        var id = await FeedAsync(1);
        await using var viewer = hub.CreateViewer();
        var batches = new List<JsonElement>();
        viewer.On<JsonElement>("fleet", batch => { lock (batches) batches.Add(batch.Clone()); });
        await viewer.StartAsync().WithTimeout();
        await viewer.InvokeAsync("SubscribeFleet").WithTimeout();

        await Deadline.Until(() => { lock (batches) return batches.Count >= 1; }, "the fleet snapshot arrives");
        JsonElement record;
        lock (batches)
        {
            record = batches[0].EnumerateArray().Single(r => r[0].GetString() == id);
        }
        // [machineId, hostname, online, cpu %, memory %, disk %, rx B/s, tx B/s, uptime s, timestamp ms, load 1 min]
        Assert.Equal(11, record.GetArrayLength());
        Assert.Equal(0.5, record[10].GetDouble());
        Assert.Equal("history-host", record[1].GetString());
        Assert.Equal(25, record[4].GetDouble());
        Assert.Equal(1000, record[6].GetDouble());

        // A live agent shows up in a later update.
        var liveId = "fleet-" + Guid.NewGuid().ToString("N")[..10];
        using var call = hub.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { ProtocolVersion = 1, MachineId = liveId, Hostname = "live" } }).WithTimeout();
        await call.RequestStream.WriteAsync(new AgentMessage
        {
            Sample = new Sample { Sequence = 1, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Cpu = new CpuSample { TotalPercent = 42 } },
        }).WithTimeout();
        await Deadline.Until(() =>
        {
            lock (batches)
            {
                return batches.Skip(1).SelectMany(b => b.EnumerateArray())
                    .Any(r => r[0].GetString() == liveId && r[2].GetBoolean() && r[3].GetDouble() == 42);
            }
        }, "a fleet update carries the live agent");
        await call.RequestStream.CompleteAsync().WithTimeout();
    }

    [Fact]
    public async Task RestFleetSnapshotHasTheSameRecordsAsTheStream()
    {
        // GET api/fleet lets the dashboard draw the fleet before its SignalR connection is up.
        var id = await FeedAsync(1);
        using var http = hub.CreateClient();

        var fleet = await http.GetFromJsonAsync<JsonElement>("/api/fleet").WithTimeout();

        var record = fleet.EnumerateArray().Single(r => r[0].GetString() == id);
        Assert.Equal(11, record.GetArrayLength());
        Assert.Equal("history-host", record[1].GetString());
        Assert.Equal(25, record[4].GetDouble());
        Assert.Equal(1000, record[6].GetDouble());
        Assert.Equal(0.5, record[10].GetDouble());
    }
}
