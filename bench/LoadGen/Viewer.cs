using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace SysMon.LoadGen;

/// <summary>
/// The two fields of a <c>sample</c> message a viewer needs to time it. Binding to this instead of the
/// whole object lets System.Text.Json skip the rest without allocating, keeping the generator cheap.
/// </summary>
public sealed class SampleHead
{
    public string MachineId { get; set; } = "";
    public ulong Sequence { get; set; }
}

/// <summary>
/// One SignalR viewer (JSON protocol, WebSockets): subscribes to its machines and times every sample
/// against the send log. SignalR calls a connection's handlers one at a time, so the counters need no locks.
/// </summary>
public sealed class Viewer(string webUrl, IReadOnlyDictionary<string, int> agentIndex, SendLog log, bool probe = false)
{
    private HubConnection? _connection;
    private readonly Dictionary<int, ulong> _lastSequence = [];

    public List<long> LatencyTicks { get; } = [];  // deliveries of samples sent in the window
    public long Delivered { get; private set; }     // in-window samples received, first time
    public long Duplicates { get; private set; }    // in-window samples received again (or out of order)
    public long OutsideWindow { get; private set; } // warm-up samples, and the last-known sample sent on Subscribe
    public long Unknown { get; private set; }       // machine or sequence this run never sent
    public long FleetMessages { get; private set; }
    public long FleetBytes { get; private set; }
    public bool? FleetSupported { get; private set; }
    public List<int> JsonSizes { get; } = [];      // probe only: UTF-8 bytes of each sample object
    public string? Error { get; private set; }

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _connection = new HubConnectionBuilder()
            .WithUrl(webUrl.TrimEnd('/') + "/hubs/monitor", o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        if (probe)
        {
            // The probe reads the raw object to measure what a viewer receives, byte for byte.
            _connection.On<JsonElement>("sample", element =>
            {
                if (JsonSizes.Count < 10_000)
                {
                    JsonSizes.Add(Encoding.UTF8.GetByteCount(element.GetRawText()));
                }
            });
        }
        else
        {
            _connection.On<SampleHead>("sample", OnSample);
            _connection.On<JsonElement>("fleet", element =>
            {
                FleetMessages++;
                FleetBytes += Encoding.UTF8.GetByteCount(element.GetRawText());
            });
        }
        _connection.Closed += ex =>
        {
            if (ex is not null)
            {
                Error ??= $"closed: {ex.GetType().Name}: {ex.Message}";
            }
            return Task.CompletedTask;
        };
        await _connection.StartAsync(cancellationToken);
    }

    public async Task SubscribeAsync(IEnumerable<string> machineIds, bool fleet, CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException("Connect first.");
        foreach (var id in machineIds)
        {
            await connection.InvokeAsync("Subscribe", id, cancellationToken);
        }
        if (fleet)
        {
            try
            {
                await connection.InvokeAsync("SubscribeFleet", cancellationToken);
                FleetSupported = true;
            }
            catch (HubException ex) when (ex.Message.Contains("does not exist", StringComparison.OrdinalIgnoreCase))
            {
                // The hub under test predates the fleet stream: measure without it and say so in the report.
                FleetSupported = false;
            }
        }
    }

    public async Task StopAsync(TimeSpan timeout)
    {
        if (_connection is null)
        {
            return;
        }
        try
        {
            await _connection.StopAsync().WaitAsync(timeout);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or IOException)
        {
            Error ??= $"stop: {ex.GetType().Name}: {ex.Message}";
        }
        await _connection.DisposeAsync();
    }

    private void OnSample(SampleHead head)
    {
        var received = Stopwatch.GetTimestamp();
        if (!agentIndex.TryGetValue(head.MachineId, out var agent))
        {
            Unknown++;
            return;
        }
        var sent = log.SentTicks(agent, head.Sequence);
        if (sent == 0)
        {
            Unknown++;
            return;
        }
        if (!log.InWindow(sent))
        {
            OutsideWindow++;
            return;
        }
        if (_lastSequence.TryGetValue(agent, out var last) && head.Sequence <= last)
        {
            Duplicates++;
            return;
        }
        _lastSequence[agent] = head.Sequence;
        Delivered++;
        LatencyTicks.Add(received - sent);
    }
}
