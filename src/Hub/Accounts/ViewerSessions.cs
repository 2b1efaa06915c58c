using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace SysMon.Hub.Accounts;

/// <summary>
/// This hub's live SignalR connections by whose they are, so a revoked session (sign out everywhere,
/// a deleted user, a revoked API token, the end of first-run anonymous access) loses its live feed at
/// once on whichever hub holds it, not at its next request.
/// </summary>
public sealed class ViewerSessions
{
    private readonly ConcurrentDictionary<string, (string Subject, HubCallerContext Context)> _connections = new(StringComparer.Ordinal);
    private readonly ILogger<ViewerSessions> _logger;
    private readonly IUserStore _users;
    private readonly IApiTokenStore _tokens;
    private readonly FirstRun _firstRun;
    private readonly bool _anonymousAllowed;

    public ViewerSessions(SessionRevocations revocations, IUserStore users, IApiTokenStore tokens, FirstRun firstRun,
        Microsoft.Extensions.Options.IOptions<Security.SecurityOptions> security, ILogger<ViewerSessions> logger)
    {
        _anonymousAllowed = security.Value.AllowUnauthenticatedNetwork;
        _logger = logger;
        _users = users;
        _tokens = tokens;
        _firstRun = firstRun;
        revocations.Revoked += Close;
    }

    /// <summary>
    /// Registers the connection, then checks its principal once more: a revocation announced between the
    /// connection's authentication and this registration would otherwise never reach it.
    /// </summary>
    public async Task TrackAsync(HubCallerContext context)
    {
        if (context.User is not { } user)
        {
            return;
        }
        _connections[context.ConnectionId] = (user.RevocationSubject(), context);
        bool stillValid;
        try
        {
            stillValid = user.Kind() switch
            {
                PrincipalKinds.User => (await _users.GetAsync(user.Identity!.Name!))?.SecurityStamp == user.FindFirst(SysMonClaims.Stamp)?.Value,
                PrincipalKinds.Token => await _tokens.GetAsync(user.FindFirst(SysMonClaims.TokenId)!.Value) is not null,
                _ => _anonymousAllowed || await _firstRun.HasUsersAsync() != true,
            };
        }
        catch (Exception ex) when (Registry.RedisOutage.Is(ex))
        {
            stillValid = true; // as for cookies: an outage signs nobody out
        }
        if (!stillValid)
        {
            _logger.LogInformation("Closing live connection {ConnectionId}: its session was revoked while it connected", context.ConnectionId);
            context.Abort();
        }
    }

    public void Forget(string connectionId) => _connections.TryRemove(connectionId, out _);

    private void Close(string subject)
    {
        if (subject == SessionRevocations.AnonymousLocal && _anonymousAllowed)
        {
            return;
        }
        foreach (var (id, connection) in _connections)
        {
            if (connection.Subject == subject)
            {
                _logger.LogInformation("Closing live connection {ConnectionId} of {Subject}: its session was revoked", id, subject);
                connection.Context.Abort();
            }
        }
    }
}
