using System.Collections.Concurrent;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Registry;

/// <summary>The registry of a single hub without Redis.</summary>
public sealed class InMemoryMachineRegistry : IMachineRegistry
{
    private sealed class Entry
    {
        public required Hello Hello;
        public Sample? LastSample;
        public DateTimeOffset? LastSeen;
        public bool Connected;
        public string? ConnectionId;
    }

    private readonly ConcurrentDictionary<string, Entry> _machines = new(StringComparer.Ordinal);

    public Task ConnectedAsync(Hello hello, string connectionId, string hubInstance, DateTimeOffset now)
    {
        var entry = _machines.GetOrAdd(hello.MachineId, _ => new Entry { Hello = hello });
        lock (entry)
        {
            entry.Hello = hello;
            entry.Connected = true;
            entry.ConnectionId = connectionId;
            entry.LastSeen = now;
        }
        return Task.CompletedTask;
    }

    public Task SampleAsync(string machineId, Sample sample, DateTimeOffset now)
    {
        if (_machines.TryGetValue(machineId, out var entry))
        {
            lock (entry)
            {
                if (entry.LastSample is null || entry.LastSample.TimestampUnixMs < sample.TimestampUnixMs)
                {
                    entry.LastSample = sample;
                }
                entry.LastSeen = now;
            }
        }
        return Task.CompletedTask;
    }

    public Task DisconnectedAsync(string machineId, string connectionId)
    {
        if (_machines.TryGetValue(machineId, out var entry))
        {
            lock (entry)
            {
                if (entry.ConnectionId == connectionId)
                {
                    entry.Connected = false;
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<MachineRecord>> ListAsync(bool withLastSample = false)
    {
        var list = new List<MachineRecord>(_machines.Count);
        foreach (var entry in _machines.Values)
        {
            list.Add(Record(entry, withLastSample));
        }
        return Task.FromResult<IReadOnlyList<MachineRecord>>(list);
    }

    public Task<MachineRecord?> GetAsync(string machineId, bool withLastSample = false) =>
        Task.FromResult(_machines.TryGetValue(machineId, out var entry) ? Record(entry, withLastSample) : null);

    private static MachineRecord Record(Entry entry, bool withLastSample)
    {
        lock (entry)
        {
            return new MachineRecord(entry.Hello, entry.LastSeen, entry.Connected, withLastSample ? entry.LastSample : null);
        }
    }

    public Task<Sample?> LastSampleAsync(string machineId)
    {
        if (_machines.TryGetValue(machineId, out var entry))
        {
            lock (entry)
            {
                return Task.FromResult(entry.LastSample);
            }
        }
        return Task.FromResult<Sample?>(null);
    }
}
