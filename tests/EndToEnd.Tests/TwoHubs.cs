using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>Redis and two hubs sharing it, as behind a load balancer. Started once for the collection.</summary>
public sealed class TwoHubs : IAsyncLifetime
{
    public RedisServer Redis { get; } = new();
    public HubProcess A { get; private set; } = null!;
    public HubProcess B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        var hubs = await Task.WhenAll(
            HubProcess.StartAsync("hub-a", Redis.ConnectionString),
            HubProcess.StartAsync("hub-b", Redis.ConnectionString));
        A = hubs[0];
        B = hubs[1];
    }

    public async Task DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TwoHubsCollection : ICollectionFixture<TwoHubs>
{
    public const string Name = "two hubs";
}
