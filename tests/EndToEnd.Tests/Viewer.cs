using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using SysMon.TestSupport;

namespace SysMon.EndToEnd.Tests;

/// <summary>A dashboard-like SignalR client (JSON protocol, WebSockets) that records the samples it receives.</summary>
public sealed class Viewer : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly List<JsonElement> _samples = [];
    private readonly List<JsonElement> _backfill = [];

    /// <summary>True once the hub said it is shutting down (the SignalR <c>reconnect</c> message).</summary>
    public bool ToldToReconnect { get; private set; }

    private Viewer(HubConnection connection)
    {
        _connection = connection;
        _connection.On<JsonElement>("sample", sample =>
        {
            lock (_samples)
            {
                _samples.Add(sample.Clone());
            }
        });
        _connection.On<JsonElement>("backfill", sample =>
        {
            lock (_samples)
            {
                _backfill.Add(sample.Clone());
            }
        });
        _connection.On("reconnect", () => ToldToReconnect = true);
    }

    public static async Task<Viewer> ConnectAsync(Uri hubWebUrl)
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(hubWebUrl, "hubs/monitor")).Build();
        var viewer = new Viewer(connection);
        await connection.StartAsync().WithTimeout();
        return viewer;
    }

    public Task SubscribeAsync(string machineId) => _connection.InvokeAsync("Subscribe", machineId).WithTimeout();

    public IReadOnlyList<JsonElement> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>Late (replayed) samples received as history.</summary>
    public IReadOnlyList<JsonElement> Backfill
    {
        get
        {
            lock (_samples)
            {
                return [.. _backfill];
            }
        }
    }

    public IReadOnlyList<JsonElement> SamplesOf(string machineId) =>
        Samples.Where(s => s.GetProperty("machineId").GetString() == machineId).ToList();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
