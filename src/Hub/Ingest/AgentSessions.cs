using System.Collections.Concurrent;
using Grpc.Core;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Ingest;

/// <summary>The agent streams open on this hub: what the drain on shutdown tells to go elsewhere, and what the fleet stream summarises.</summary>
public sealed class AgentSessions
{
    private readonly ConcurrentDictionary<string, AgentSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<AgentSession> _departed = new();

    /// <summary>True once the hub began shutting down: new agents are refused so they pick another hub.</summary>
    public bool Draining { get; private set; }

    public int Count => _sessions.Count;

    public IEnumerable<AgentSession> All => _sessions.Values;

    public void Add(AgentSession session) => _sessions[session.ConnectionId] = session;

    public void Remove(AgentSession session)
    {
        if (_sessions.TryRemove(session.ConnectionId, out _))
        {
            _departed.Enqueue(session);
        }
    }

    /// <summary>Sessions that ended since the last call (for the fleet stream's offline records).</summary>
    public bool TryTakeDeparted(out AgentSession session) => _departed.TryDequeue(out session!);

    /// <summary>Asks every agent to reconnect elsewhere, then waits (bounded) for their streams to end.</summary>
    public async Task DrainAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        Draining = true;
        var reconnect = new HubMessage { Reconnect = new Reconnect { Reason = "hub shutting down" } };
        await Task.WhenAll(_sessions.Values.Select(s => s.TrySendAsync(reconnect))).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + grace;
        while (!_sessions.IsEmpty && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }
        foreach (var session in _sessions.Values)
        {
            session.Abort();
        }
    }
}

/// <summary>One agent stream on this hub. Owns the response stream's single writer lock.</summary>
public sealed class AgentSession(string machineId, string connectionId, IServerStreamWriter<HubMessage> writer, CancellationToken callAborted) : IDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _aborted = CancellationTokenSource.CreateLinkedTokenSource(callAborted);

    public string MachineId { get; } = machineId;
    public string ConnectionId { get; } = connectionId;
    public string Hostname { get; set; } = "";

    /// <summary>The machine's tags from its hello, for fleet viewers restricted to tags.</summary>
    public IReadOnlyList<string> Tags { get; set; } = [];

    /// <summary>Cancelled when the agent goes away or the hub drops the stream.</summary>
    public CancellationToken Aborted => _aborted.Token;

    /// <summary>The newest sample by timestamp, for the fleet stream.</summary>
    public Sample? Latest { get; set; }

    /// <summary>Set when <see cref="Latest"/> changed since the fleet stream last looked.</summary>
    public bool Changed { get; set; }

    /// <summary>gRPC allows one write at a time per stream; acks and the drain's Reconnect share it.</summary>
    public async Task SendAsync(HubMessage message)
    {
        await _writeLock.WaitAsync(Aborted).ConfigureAwait(false);
        try
        {
            await writer.WriteAsync(message, Aborted).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task TrySendAsync(HubMessage message)
    {
        try
        {
            await SendAsync(message).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or InvalidOperationException or IOException or RpcException)
        {
            // The stream is already gone or stuck; the drain's abort ends it.
        }
    }

    public void Abort()
    {
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // already finished
        }
        catch (AggregateException)
        {
            // A callback of a pending read or write threw while being cancelled. The stream is ending
            // anyway; letting this escape would fail the hub's shutdown (exit code 134).
        }
    }

    public void Dispose()
    {
        _aborted.Dispose();
        _writeLock.Dispose();
    }
}
