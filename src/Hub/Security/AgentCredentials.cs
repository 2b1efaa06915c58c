using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SysMon.Hub.Registry;
using StackExchange.Redis;

namespace SysMon.Hub.Security;

/// <summary>
/// Enrollment tokens (an operator's, with an expiry, good for any number of agents until then) and
/// agent credentials (one per machine id, issued to an agent that enrolled). Secrets are 32 random
/// bytes; only their SHA-256 is stored, which suffices for secrets with that much entropy (a slow
/// password hash protects guessable secrets, and these are not).
/// </summary>
public interface IAgentCredentialStore
{
    /// <summary>Creates an enrollment token valid for <paramref name="lifetime"/>; returns its secret, shown once.</summary>
    Task<string> CreateEnrollmentTokenAsync(TimeSpan lifetime, string note);

    /// <summary>True when <paramref name="secret"/> is an enrollment token that has not expired.</summary>
    Task<bool> IsEnrollmentTokenAsync(string secret);

    /// <summary>
    /// Issues the credential of <paramref name="machineId"/> and returns its secret; null when the machine
    /// already has one and <paramref name="replace"/> is false (an enrollment token must not take over a machine).
    /// </summary>
    Task<string?> IssueAsync(string machineId, bool replace);

    /// <summary>The machine id <paramref name="secret"/> may publish for, or null for an unknown or revoked credential.</summary>
    Task<string?> MachineOfAsync(string secret);

    /// <summary>Revokes the credential of <paramref name="machineId"/> and tells every hub; false when it had none.</summary>
    Task<bool> RevokeAsync(string machineId);

    /// <summary>Raised on every hub with the machine id whose credential was revoked (on any hub).</summary>
    event Action<string>? Revoked;

    /// <summary>
    /// Starts hearing other hubs' revocations; completes once listening. Retries while Redis is down, so a
    /// hub started without Redis still starts (and hears revocations once Redis is back).
    /// </summary>
    Task ListenAsync(CancellationToken cancellationToken);
}

public static class AgentSecrets
{
    public const string EnrollmentPrefix = "sme_";
    public const string CredentialPrefix = "smc_";

    public static string New(string prefix) => prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The store of a lone hub without Redis: lost on restart, like its registry.</summary>
public sealed class InMemoryAgentCredentialStore(TimeProvider time) : IAgentCredentialStore
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _enrollment = new();
    private readonly ConcurrentDictionary<string, string> _credentials = new();      // hash → machine id
    private readonly ConcurrentDictionary<string, string> _byMachine = new();        // machine id → hash
    private readonly Lock _issue = new();

    public event Action<string>? Revoked;

    public Task<string> CreateEnrollmentTokenAsync(TimeSpan lifetime, string note)
    {
        var secret = AgentSecrets.New(AgentSecrets.EnrollmentPrefix);
        _enrollment[AgentSecrets.Hash(secret)] = time.GetUtcNow() + lifetime;
        return Task.FromResult(secret);
    }

    public Task<bool> IsEnrollmentTokenAsync(string secret) =>
        Task.FromResult(_enrollment.TryGetValue(AgentSecrets.Hash(secret), out var expires) && expires > time.GetUtcNow());

    public Task<string?> IssueAsync(string machineId, bool replace)
    {
        lock (_issue)
        {
            if (_byMachine.TryGetValue(machineId, out var old))
            {
                if (!replace)
                {
                    return Task.FromResult<string?>(null);
                }
                _credentials.TryRemove(old, out _);
            }
            var secret = AgentSecrets.New(AgentSecrets.CredentialPrefix);
            var hash = AgentSecrets.Hash(secret);
            _credentials[hash] = machineId;
            _byMachine[machineId] = hash;
            return Task.FromResult<string?>(secret);
        }
    }

    public Task ListenAsync(CancellationToken cancellationToken) => Task.CompletedTask; // one hub: Revoked is raised directly

    public Task<string?> MachineOfAsync(string secret) =>
        Task.FromResult(_credentials.TryGetValue(AgentSecrets.Hash(secret), out var machineId) ? machineId : null);

    public Task<bool> RevokeAsync(string machineId)
    {
        bool had;
        lock (_issue)
        {
            had = _byMachine.TryRemove(machineId, out var hash) && _credentials.TryRemove(hash, out _);
        }
        if (had)
        {
            Revoked?.Invoke(machineId);
        }
        return Task.FromResult(had);
    }
}

/// <summary>The store shared by every hub through Redis; revocations are announced on a channel.</summary>
public sealed class RedisAgentCredentialStore : IAgentCredentialStore
{
    private readonly IConnectionMultiplexer _redis;

    public RedisAgentCredentialStore(IConnectionMultiplexer redis) => _redis = redis;

    public Task ListenAsync(CancellationToken cancellationToken) =>
        _redis.SubscribeWithRetryAsync(RedisKeys.CredentialRevoked, machineId => Revoked?.Invoke(machineId), cancellationToken);

    public event Action<string>? Revoked;

    private IDatabase Db => _redis.DatabaseOrFail();

    public async Task<string> CreateEnrollmentTokenAsync(TimeSpan lifetime, string note)
    {
        var secret = AgentSecrets.New(AgentSecrets.EnrollmentPrefix);
        await Db.StringSetAsync(RedisKeys.EnrollmentToken(AgentSecrets.Hash(secret)), note, lifetime);
        return secret;
    }

    public async Task<bool> IsEnrollmentTokenAsync(string secret) =>
        await Db.KeyExistsAsync(RedisKeys.EnrollmentToken(AgentSecrets.Hash(secret)));

    public async Task<string?> IssueAsync(string machineId, bool replace)
    {
        var secret = AgentSecrets.New(AgentSecrets.CredentialPrefix);
        var hash = AgentSecrets.Hash(secret);
        var db = Db;
        if (replace)
        {
            var old = await db.StringGetSetAsync(RedisKeys.MachineCredential(machineId), hash);
            if (old.HasValue)
            {
                await db.KeyDeleteAsync(RedisKeys.AgentCredential(old.ToString()));
            }
        }
        else if (!await db.StringSetAsync(RedisKeys.MachineCredential(machineId), hash, when: When.NotExists))
        {
            return null;
        }
        await db.StringSetAsync(RedisKeys.AgentCredential(hash), machineId);
        return secret;
    }

    public async Task<string?> MachineOfAsync(string secret)
    {
        var machineId = await Db.StringGetAsync(RedisKeys.AgentCredential(AgentSecrets.Hash(secret)));
        return machineId.HasValue ? machineId.ToString() : null;
    }

    public async Task<bool> RevokeAsync(string machineId)
    {
        var db = Db;
        var hash = await db.StringGetDeleteAsync(RedisKeys.MachineCredential(machineId));
        if (!hash.HasValue)
        {
            return false;
        }
        await db.KeyDeleteAsync(RedisKeys.AgentCredential(hash.ToString()));
        await _redis.GetSubscriber().PublishAsync(RedisKeys.CredentialRevoked, machineId);
        return true;
    }
}
