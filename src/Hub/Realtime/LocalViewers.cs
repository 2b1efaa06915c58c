using System.Collections.Concurrent;

namespace SysMon.Hub.Realtime;

/// <summary>SignalR connections of this hub (not of the others): the ones a shutting-down hub tells to reconnect.</summary>
public sealed class LocalViewers
{
    private readonly ConcurrentDictionary<string, byte> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public IEnumerable<string> ConnectionIds => _connections.Keys;

    public void Add(string connectionId) => _connections[connectionId] = 0;

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);
}
