using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Accounts;

/// <summary>People who sign in, and their failed sign-ins (for lockout). Names are normalised (<see cref="AccountRules.Normalize"/>).</summary>
public interface IUserStore
{
    Task<UserAccount?> GetAsync(string name);

    Task<IReadOnlyList<UserAccount>> ListAsync();

    /// <summary>True once any user exists; until then the hub serves only this host (docs/security.md, "First run").</summary>
    Task<bool> AnyAsync();

    /// <summary>
    /// Adds <paramref name="user"/>; false when the name is taken, or, with <paramref name="onlyIfNone"/>, when
    /// any user exists (so two first-run setups racing on two hubs cannot both create an admin).
    /// </summary>
    Task<bool> CreateAsync(UserAccount user, bool onlyIfNone = false);

    /// <summary>Replaces an existing user's record.</summary>
    Task SaveAsync(UserAccount user);

    Task<bool> DeleteAsync(string name);

    /// <summary>Counts a failed sign-in of <paramref name="name"/>; returns the failures within <paramref name="window"/>.</summary>
    Task<long> CountFailureAsync(string name, TimeSpan window);

    Task ClearFailuresAsync(string name);

    /// <summary>Locks <paramref name="name"/> out of password sign-in for <paramref name="duration"/>.</summary>
    Task LockAsync(string name, TimeSpan duration);

    /// <summary>How long <paramref name="name"/> stays locked, or null.</summary>
    Task<TimeSpan?> LockedForAsync(string name);

    /// <summary>Lifts a lockout and forgets the failures.</summary>
    Task UnlockAsync(string name);
}

internal static class AccountJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

/// <summary>The users of a lone hub without Redis: lost on restart, like its registry (docs/security.md says to use Redis to keep them).</summary>
public sealed class InMemoryUserStore(TimeProvider time) : IUserStore
{
    private readonly ConcurrentDictionary<string, UserAccount> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Count, DateTimeOffset Until)> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _locks = new(StringComparer.Ordinal);
    private readonly Lock _create = new();

    public Task<UserAccount?> GetAsync(string name) => Task.FromResult(_users.GetValueOrDefault(name));

    public Task<IReadOnlyList<UserAccount>> ListAsync() =>
        Task.FromResult<IReadOnlyList<UserAccount>>([.. _users.Values.OrderBy(u => u.Name, StringComparer.Ordinal)]);

    public Task<bool> AnyAsync() => Task.FromResult(!_users.IsEmpty);

    public Task<bool> CreateAsync(UserAccount user, bool onlyIfNone = false)
    {
        lock (_create)
        {
            return Task.FromResult((!onlyIfNone || _users.IsEmpty) && _users.TryAdd(user.Name, user));
        }
    }

    public Task SaveAsync(UserAccount user)
    {
        _users[user.Name] = user;
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string name) => Task.FromResult(_users.TryRemove(name, out _));

    public Task<long> CountFailureAsync(string name, TimeSpan window)
    {
        var now = time.GetUtcNow();
        var entry = _failures.AddOrUpdate(name, _ => (1, now + window),
            (_, old) => old.Until > now ? (old.Count + 1, old.Until) : (1, now + window));
        return Task.FromResult(entry.Count);
    }

    public Task ClearFailuresAsync(string name)
    {
        _failures.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    public Task LockAsync(string name, TimeSpan duration)
    {
        _locks[name] = time.GetUtcNow() + duration;
        return Task.CompletedTask;
    }

    public Task UnlockAsync(string name)
    {
        _locks.TryRemove(name, out _);
        _failures.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    public Task<TimeSpan?> LockedForAsync(string name)
    {
        var left = _locks.TryGetValue(name, out var until) ? until - time.GetUtcNow() : TimeSpan.Zero;
        return Task.FromResult<TimeSpan?>(left > TimeSpan.Zero ? left : null);
    }
}

/// <summary>The users every hub shares through Redis: one JSON string per user and a set of names.</summary>
public sealed class RedisUserStore(IConnectionMultiplexer redis) : IUserStore
{
    private IDatabase Db => redis.DatabaseOrFail();

    public async Task<UserAccount?> GetAsync(string name)
    {
        var json = await Db.StringGetAsync(RedisKeys.User(name));
        return json.HasValue ? JsonSerializer.Deserialize<UserAccount>(json.ToString(), AccountJson.Options) : null;
    }

    public async Task<IReadOnlyList<UserAccount>> ListAsync()
    {
        var db = Db;
        var names = await db.SetMembersAsync(RedisKeys.Users);
        if (names.Length == 0)
        {
            return [];
        }
        var values = await db.StringGetAsync([.. names.Select(n => RedisKeys.User(n.ToString()))]);
        return [.. values.Where(v => v.HasValue)
            .Select(v => JsonSerializer.Deserialize<UserAccount>(v.ToString(), AccountJson.Options)!)
            .OrderBy(u => u.Name, StringComparer.Ordinal)];
    }

    public async Task<bool> AnyAsync() => await Db.SetLengthAsync(RedisKeys.Users) > 0;

    public async Task<bool> CreateAsync(UserAccount user, bool onlyIfNone = false)
    {
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(RedisKeys.User(user.Name)));
        if (onlyIfNone)
        {
            transaction.AddCondition(Condition.SetLengthEqual(RedisKeys.Users, 0));
        }
        _ = transaction.StringSetAsync(RedisKeys.User(user.Name), JsonSerializer.Serialize(user, AccountJson.Options));
        _ = transaction.SetAddAsync(RedisKeys.Users, user.Name);
        return await transaction.ExecuteAsync();
    }

    public async Task SaveAsync(UserAccount user)
    {
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.KeyExists(RedisKeys.User(user.Name))); // a deleted user stays deleted
        _ = transaction.StringSetAsync(RedisKeys.User(user.Name), JsonSerializer.Serialize(user, AccountJson.Options));
        await transaction.ExecuteAsync();
    }

    public async Task<bool> DeleteAsync(string name)
    {
        var transaction = Db.CreateTransaction();
        var removed = transaction.KeyDeleteAsync(RedisKeys.User(name));
        _ = transaction.SetRemoveAsync(RedisKeys.Users, name);
        await transaction.ExecuteAsync();
        return await removed;
    }

    public async Task<long> CountFailureAsync(string name, TimeSpan window)
    {
        var db = Db;
        var key = RedisKeys.LoginFailures(name);
        var count = await db.StringIncrementAsync(key);
        if (count == 1)
        {
            await db.KeyExpireAsync(key, window);
        }
        return count;
    }

    public Task ClearFailuresAsync(string name) => Db.KeyDeleteAsync(RedisKeys.LoginFailures(name));

    public Task LockAsync(string name, TimeSpan duration) => Db.StringSetAsync(RedisKeys.LoginLock(name), "1", duration);

    public async Task<TimeSpan?> LockedForAsync(string name) => await Db.KeyTimeToLiveAsync(RedisKeys.LoginLock(name));

    public Task UnlockAsync(string name) => Db.KeyDeleteAsync([RedisKeys.LoginLock(name), RedisKeys.LoginFailures(name)]);
}
