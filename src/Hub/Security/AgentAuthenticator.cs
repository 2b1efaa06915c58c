using Grpc.Core;
using Microsoft.Extensions.Options;
using SysMon.Hub.Ingest;
using SysMon.Hub.Registry;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Security;

/// <summary>The in-process agent's credential: random per hub process, never written anywhere.</summary>
public sealed record EmbeddedAgentCredential(string Secret);

/// <summary>
/// Checks the bearer token of an agent stream against its hello (docs/security.md, "Agents"):
/// a credential publishes only for the machine it was issued to; an enrollment token gets a new
/// machine its credential, but never one for a machine that already has one.
/// </summary>
public sealed class AgentAuthenticator(
    IAgentCredentialStore store,
    IOptions<SecurityOptions> options,
    ILogger<AgentAuthenticator> logger,
    EmbeddedAgentCredential? embedded = null)
{
    public bool Required => options.Value.AgentAuthentication == AgentAuthenticationMode.Required;

    /// <summary>Null when the agent may go on with what it has; a new credential's secret when it just enrolled.</summary>
    public async Task<string?> AuthenticateAsync(Hello hello, ServerCallContext context)
    {
        if (!Required)
        {
            return null;
        }
        var header = context.RequestHeaders.GetValue("authorization");
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..].Trim() : "";
        try
        {
            if (token.Length == 0)
            {
                throw Refuse(StatusCode.Unauthenticated, hello, context,
                    "This hub requires agent credentials: give the agent an enrollment token (--token-file), created with 'SysMon.Hub credentials enroll'.");
            }
            if (embedded is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(embedded.Secret)))
            {
                return null;
            }
            if (token.StartsWith(AgentSecrets.CredentialPrefix, StringComparison.Ordinal))
            {
                var machineId = await store.MachineOfAsync(token)
                    ?? throw Refuse(StatusCode.Unauthenticated, hello, context,
                        "Unknown or revoked agent credential. Delete the agent's credential file and enroll it again with a new enrollment token.");
                if (!string.Equals(machineId, hello.MachineId, StringComparison.Ordinal))
                {
                    throw Refuse(StatusCode.PermissionDenied, hello, context,
                        $"This credential publishes for machine '{machineId}', not '{hello.MachineId}'.");
                }
                return null;
            }
            if (token.StartsWith(AgentSecrets.EnrollmentPrefix, StringComparison.Ordinal) && await store.IsEnrollmentTokenAsync(token))
            {
                if (hello.Probe)
                {
                    return null; // `--check`: the token is good; nothing is issued for a connection that will not stream
                }
                var issued = await store.IssueAsync(hello.MachineId, replace: false)
                    ?? throw Refuse(StatusCode.AlreadyExists, hello, context,
                        $"Machine '{hello.MachineId}' is already enrolled. If this is a reinstalled host, revoke its credential first ('SysMon.Hub credentials revoke {hello.MachineId}').");
                logger.LogInformation("Agent {MachineId} ({Hostname}) enrolled from {Peer}", hello.MachineId, hello.Hostname, context.Peer);
                return issued;
            }
            throw Refuse(StatusCode.Unauthenticated, hello, context, "Unknown or expired token.");
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            // Fail closed: an agent keeps its samples and retries; nobody gets in unchecked.
            throw new RpcException(new Status(StatusCode.Unavailable, "Cannot check agent credentials right now (Redis unavailable); retry shortly."));
        }
    }

    private RpcException Refuse(StatusCode code, Hello hello, ServerCallContext context, string reason)
    {
        logger.LogWarning("Refused agent {MachineId} from {Peer}: {Reason}", hello.MachineId, context.Peer, reason);
        return new RpcException(new Status(code, reason));
    }
}

/// <summary>Closes the live stream of a machine whose credential was revoked, on whichever hub holds it.</summary>
public sealed class CredentialRevocationWatcher(IAgentCredentialStore store, AgentSessions sessions, ILogger<CredentialRevocationWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.Revoked += Close;
        try
        {
            await store.ListenAsync(stoppingToken);
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            store.Revoked -= Close;
        }
    }

    private void Close(string machineId)
    {
        foreach (var session in sessions.All.Where(s => s.MachineId == machineId))
        {
            logger.LogWarning("Credential of {MachineId} revoked: closing its stream", machineId);
            session.Abort();
        }
    }
}
