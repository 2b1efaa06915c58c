using StackExchange.Redis;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>One behaviour, two stores: the in-memory registry of a lone hub and the Redis one all hubs share.</summary>
public abstract class MachineRegistryContract
{
    protected abstract IMachineRegistry Registry { get; }

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_764_000_000);
    private static readonly TimeSpan OfflineAfter = TimeSpan.FromSeconds(10);

    private static Hello NewHello() => new()
    {
        ProtocolVersion = 1,
        MachineId = "test-" + Guid.NewGuid().ToString("N"),
        Hostname = "web-1",
        OsName = "Debian GNU/Linux",
        MemoryTotalBytes = 1 << 30,
    };

    private async Task<MachineRecord> Find(string id) =>
        (await Registry.ListAsync().WithTimeout()).Single(m => m.Id == id);

    [Fact]
    public async Task ConnectedMachineIsListedOnlineWithItsHello()
    {
        var hello = NewHello();

        await Registry.ConnectedAsync(hello, "c1", "hub-a", Now).WithTimeout();

        var machine = await Find(hello.MachineId);
        Assert.Equal("web-1", machine.Hello.Hostname);
        Assert.Equal(1UL << 30, machine.Hello.MemoryTotalBytes);
        Assert.True(machine.IsOnline(Now.AddSeconds(1), OfflineAfter));
    }

    [Fact]
    public async Task MachineSilentLongerThanTheLimitIsOfflineEvenIfNoHubSaidSo()
    {
        var hello = NewHello();
        await Registry.ConnectedAsync(hello, "c1", "hub-a", Now).WithTimeout();
        await Registry.SampleAsync(hello.MachineId, new Sample { Sequence = 1 }, Now.AddSeconds(5)).WithTimeout();

        var machine = await Find(hello.MachineId);

        Assert.True(machine.IsOnline(Now.AddSeconds(14), OfflineAfter));
        Assert.False(machine.IsOnline(Now.AddSeconds(16), OfflineAfter));
    }

    [Fact]
    public async Task DisconnectMarksTheMachineOffline()
    {
        var hello = NewHello();
        await Registry.ConnectedAsync(hello, "c1", "hub-a", Now).WithTimeout();

        await Registry.DisconnectedAsync(hello.MachineId, "c1").WithTimeout();

        Assert.False((await Find(hello.MachineId)).IsOnline(Now, OfflineAfter));
    }

    [Fact]
    public async Task LateDisconnectOfAnOldStreamDoesNotOfflineTheMachineThatMovedToAnotherHub()
    {
        var hello = NewHello();
        await Registry.ConnectedAsync(hello, "old-stream", "hub-a", Now).WithTimeout();
        await Registry.ConnectedAsync(hello, "new-stream", "hub-b", Now.AddSeconds(1)).WithTimeout();

        await Registry.DisconnectedAsync(hello.MachineId, "old-stream").WithTimeout();

        Assert.True((await Find(hello.MachineId)).IsOnline(Now.AddSeconds(2), OfflineAfter));
    }

    [Fact]
    public async Task LastSampleIsTheNewestByTimestampSoAReplayDoesNotReplaceIt()
    {
        var hello = NewHello();
        await Registry.ConnectedAsync(hello, "c1", "hub-a", Now).WithTimeout();
        await Registry.SampleAsync(hello.MachineId, new Sample { Sequence = 2, TimestampUnixMs = 2000, Cpu = new CpuSample { TotalPercent = 20 } }, Now).WithTimeout();
        await Registry.SampleAsync(hello.MachineId, new Sample { Sequence = 1, TimestampUnixMs = 1000, Cpu = new CpuSample { TotalPercent = 10 }, Replayed = true }, Now.AddSeconds(3)).WithTimeout();

        var last = await Registry.LastSampleAsync(hello.MachineId).WithTimeout();
        var machine = await Registry.GetAsync(hello.MachineId, withLastSample: true).WithTimeout();

        Assert.NotNull(last);
        Assert.Equal(2UL, last.Sequence);
        Assert.Equal(20, last.Cpu.TotalPercent);
        Assert.Equal(2UL, machine!.LastSample!.Sequence);
        Assert.Equal(Now.AddSeconds(3), machine.LastSeen); // the replay still counts as a sign of life
        Assert.Null(await Registry.LastSampleAsync("never-seen-" + Guid.NewGuid().ToString("N")).WithTimeout());
        Assert.Null(await Registry.GetAsync("never-seen-" + Guid.NewGuid().ToString("N")).WithTimeout());
    }
}

public sealed class InMemoryMachineRegistryTests : MachineRegistryContract
{
    protected override IMachineRegistry Registry { get; } = new InMemoryMachineRegistry();
}

public sealed class RedisMachineRegistryTests(RedisServer redis) : MachineRegistryContract, IClassFixture<RedisServer>, IDisposable
{
    private readonly ConnectionMultiplexer _connection = ConnectionMultiplexer.Connect(redis.ConnectionString);

    protected override IMachineRegistry Registry => new RedisMachineRegistry(_connection);

    public void Dispose() => _connection.Dispose();
}
