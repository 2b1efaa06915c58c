using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;
using SysMon.Hub.Security;

namespace SysMon.Hub.Accounts;

/// <summary>
/// A read-only token for scripts and Prometheus: sent as <c>Authorization: Bearer smk_…</c> (or, for
/// SignalR's WebSocket, <c>?access_token=</c>). Only the SHA-256 of its secret is stored; the secret
/// carries 256 random bits, so a fast hash is enough (as for agent credentials).
/// </summary>
public sealed record ApiToken
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Hash { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Null: until revoked.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>Tags of the creator's restriction, copied so a token never sees more than the person who made it.</summary>
    public string[] Tags { get; init; } = [];

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;
}

public interface IApiTokenStore
{
    /// <summary>Stores a new token; returns it and its secret, which is shown once.</summary>
    Task<(ApiToken Token, string Secret)> CreateAsync(string name, string createdBy, DateTimeOffset createdAt, DateTimeOffset? expiresAt, string[] tags);

    /// <summary>The token whose secret this is, or null (expiry is the caller's to check).</summary>
    Task<ApiToken?> FindAsync(string secret);

    Task<IReadOnlyList<ApiToken>> ListAsync();

    Task<ApiToken?> GetAsync(string id);

    Task<ApiToken?> RevokeAsync(string id);
}

public static class ApiTokenSecrets
{
    public const string Prefix = "smk_";

    /// <summary>"smk_" + id + "_" + secret: the id lets logs and the audit name a token without its secret.</summary>
    public static (string Id, string Secret) New()
    {
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
        return (id, AgentSecrets.New(Prefix + id + "_"));
    }
}

public sealed class InMemoryApiTokenStore : IApiTokenStore
{
    private readonly ConcurrentDictionary<string, ApiToken> _byId = new(StringComparer.Ordinal);

    public Task<(ApiToken Token, string Secret)> CreateAsync(string name, string createdBy, DateTimeOffset createdAt, DateTimeOffset? expiresAt, string[] tags)
    {
        var (id, secret) = ApiTokenSecrets.New();
        var token = new ApiToken { Id = id, Name = name, Hash = AgentSecrets.Hash(secret), CreatedBy = createdBy, CreatedAt = createdAt, ExpiresAt = expiresAt, Tags = tags };
        _byId[id] = token;
        return Task.FromResult((token, secret));
    }

    public Task<ApiToken?> FindAsync(string secret)
    {
        var hash = AgentSecrets.Hash(secret);
        return Task.FromResult(_byId.Values.FirstOrDefault(t => t.Hash == hash));
    }

    public Task<IReadOnlyList<ApiToken>> ListAsync() =>
        Task.FromResult<IReadOnlyList<ApiToken>>([.. _byId.Values.OrderBy(t => t.CreatedAt)]);

    public Task<ApiToken?> GetAsync(string id) => Task.FromResult(_byId.GetValueOrDefault(id));

    public Task<ApiToken?> RevokeAsync(string id) => Task.FromResult(_byId.TryRemove(id, out var token) ? token : null);
}

/// <summary>Tokens shared by every hub: a JSON string per token id, a hash → id index, and a set of ids.</summary>
public sealed class RedisApiTokenStore(IConnectionMultiplexer redis) : IApiTokenStore
{
    private IDatabase Db => redis.DatabaseOrFail();

    public async Task<(ApiToken Token, string Secret)> CreateAsync(string name, string createdBy, DateTimeOffset createdAt, DateTimeOffset? expiresAt, string[] tags)
    {
        var (id, secret) = ApiTokenSecrets.New();
        var token = new ApiToken { Id = id, Name = name, Hash = AgentSecrets.Hash(secret), CreatedBy = createdBy, CreatedAt = createdAt, ExpiresAt = expiresAt, Tags = tags };
        var transaction = Db.CreateTransaction();
        _ = transaction.StringSetAsync(RedisKeys.ApiToken(id), JsonSerializer.Serialize(token, AccountJson.Options));
        _ = transaction.StringSetAsync(RedisKeys.ApiTokenHash(token.Hash), id);
        _ = transaction.SetAddAsync(RedisKeys.ApiTokens, id);
        await transaction.ExecuteAsync();
        return (token, secret);
    }

    public async Task<ApiToken?> FindAsync(string secret)
    {
        var db = Db;
        var id = await db.StringGetAsync(RedisKeys.ApiTokenHash(AgentSecrets.Hash(secret)));
        if (!id.HasValue)
        {
            return null;
        }
        var json = await db.StringGetAsync(RedisKeys.ApiToken(id.ToString()));
        return json.HasValue ? JsonSerializer.Deserialize<ApiToken>(json.ToString(), AccountJson.Options) : null;
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync()
    {
        var db = Db;
        var ids = await db.SetMembersAsync(RedisKeys.ApiTokens);
        if (ids.Length == 0)
        {
            return [];
        }
        var values = await db.StringGetAsync([.. ids.Select(id => RedisKeys.ApiToken(id.ToString()))]);
        return [.. values.Where(v => v.HasValue)
            .Select(v => JsonSerializer.Deserialize<ApiToken>(v.ToString(), AccountJson.Options)!)
            .OrderBy(t => t.CreatedAt)];
    }

    public async Task<ApiToken?> GetAsync(string id)
    {
        var json = await Db.StringGetAsync(RedisKeys.ApiToken(id));
        return json.HasValue ? JsonSerializer.Deserialize<ApiToken>(json.ToString(), AccountJson.Options) : null;
    }

    public async Task<ApiToken?> RevokeAsync(string id)
    {
        var db = Db;
        var json = await db.StringGetDeleteAsync(RedisKeys.ApiToken(id));
        if (!json.HasValue)
        {
            return null;
        }
        var token = JsonSerializer.Deserialize<ApiToken>(json.ToString(), AccountJson.Options)!;
        await db.KeyDeleteAsync(RedisKeys.ApiTokenHash(token.Hash));
        await db.SetRemoveAsync(RedisKeys.ApiTokens, id);
        return token;
    }
}
