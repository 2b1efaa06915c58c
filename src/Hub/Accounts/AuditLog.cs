using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Accounts;

/// <summary>One thing someone did that an admin may need to account for later.</summary>
/// <param name="Actor">Who: a user name, "token:ID", "local" (this host before setup) or "cli".</param>
/// <param name="Action">What, from <see cref="AuditActions"/>.</param>
/// <param name="Target">To what: a user, token id, machine id; empty when none.</param>
/// <param name="Address">The client's IP address; empty from the command line.</param>
public sealed record AuditEntry(DateTimeOffset At, string Actor, string Action, string Target, string Address, string Detail = "");

public static class AuditActions
{
    public const string SignIn = "sign-in";
    public const string SignInFailed = "sign-in-failed";
    public const string LockedOut = "locked-out";
    public const string SignOut = "sign-out";
    public const string SignOutEverywhere = "sign-out-everywhere";
    public const string Setup = "setup";
    public const string UserCreated = "user-created";
    public const string UserChanged = "user-changed";
    public const string UserDeleted = "user-deleted";
    public const string PasswordChanged = "password-changed";
    public const string TotpEnabled = "totp-enabled";
    public const string TotpDisabled = "totp-disabled";
    public const string ApiTokenCreated = "api-token-created";
    public const string ApiTokenRevoked = "api-token-revoked";
    public const string EnrollmentTokenCreated = "enrollment-token-created";
    public const string AgentCredentialRevoked = "agent-credential-revoked";
    public const string SilenceCreated = "silence-created";
    public const string SilenceRemoved = "silence-removed";
    public const string ChannelTested = "channel-tested";
    public const string AlertAcknowledged = "alert-acknowledged";
    public const string RuleSaved = "rule-saved";
    public const string RuleDeleted = "rule-deleted";
}

/// <summary>The audit trail, newest first, capped at <see cref="Capacity"/> entries.</summary>
public interface IAuditLog
{
    const int Capacity = 10_000;

    Task AppendAsync(AuditEntry entry);

    Task<IReadOnlyList<AuditEntry>> ReadAsync(int count);
}

public sealed class InMemoryAuditLog : IAuditLog
{
    private readonly ConcurrentQueue<AuditEntry> _entries = new();

    public Task AppendAsync(AuditEntry entry)
    {
        _entries.Enqueue(entry);
        while (_entries.Count > IAuditLog.Capacity && _entries.TryDequeue(out _))
        {
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAsync(int count) =>
        Task.FromResult<IReadOnlyList<AuditEntry>>([.. _entries.Reverse().Take(count)]);
}

/// <summary>A capped Redis list every hub appends to (LPUSH + LTRIM: newest first).</summary>
public sealed class RedisAuditLog(IConnectionMultiplexer redis) : IAuditLog
{
    public async Task AppendAsync(AuditEntry entry)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.ListLeftPushAsync(RedisKeys.Audit, JsonSerializer.Serialize(entry, AccountJson.Options));
        _ = transaction.ListTrimAsync(RedisKeys.Audit, 0, IAuditLog.Capacity - 1);
        await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(int count)
    {
        var values = await redis.GetDatabase().ListRangeAsync(RedisKeys.Audit, 0, Math.Clamp(count, 1, IAuditLog.Capacity) - 1);
        return [.. values.Select(v => JsonSerializer.Deserialize<AuditEntry>(v.ToString(), AccountJson.Options)!)];
    }
}
