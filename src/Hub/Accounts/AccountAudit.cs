using SysMon.Hub.Registry;

namespace SysMon.Hub.Accounts;

/// <summary>Records who did what from where, in the audit log (for admins) and the hub's log (for operators).</summary>
public sealed class AccountAudit(IAuditLog log, TimeProvider time, ILogger<AccountAudit> logger)
{
    public Task RecordAsync(HttpContext context, string action, string target = "", string detail = "", string? actor = null) =>
        RecordAsync(new AuditEntry(time.GetUtcNow(), actor ?? context.User.Identity?.Name ?? "anonymous", action, target,
            context.Connection.RemoteIpAddress?.ToString() ?? "", detail));

    public async Task RecordAsync(AuditEntry entry)
    {
        logger.LogInformation("Audit: {Actor} {Action} {Target} from {Address} {Detail}", entry.Actor, entry.Action, entry.Target, entry.Address, entry.Detail);
        try
        {
            await log.AppendAsync(entry);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            // The action itself went through (or was refused); its trace stays in the hub's log above.
            logger.LogWarning("Could not write the audit entry to Redis: {Error}", ex.Message);
        }
    }
}
