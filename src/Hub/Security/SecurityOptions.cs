namespace SysMon.Hub.Security;

/// <summary>The hub's security settings, bound from the <c>Security</c> configuration section (docs/security.md).</summary>
public sealed class SecurityOptions
{
    public const string SectionName = "Security";

    /// <summary>
    /// Origins (scheme://host[:port]) whose pages may call this hub's REST API and SignalR hub from a
    /// browser. Empty, the default: cross-origin calls are refused, since the dashboard is served by the
    /// hub itself and needs none.
    /// </summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>
    /// Lets anyone who reaches the hub view the fleet without signing in (admins still sign in). Off, the
    /// default: viewers sign in, except on this host before the first user exists. Logged loudly at every
    /// start and exported as sysmon_hub_unauthenticated_network.
    /// </summary>
    public bool AllowUnauthenticatedNetwork { get; set; }

    /// <summary>Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are believed (<see cref="TrustedProxies"/>).</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>Marks cookies Secure even on plain-HTTP requests: set it behind a TLS-terminating proxy.</summary>
    public bool SecureCookies { get; set; }

    /// <summary>How long a dashboard session lasts without use (sliding).</summary>
    public double SessionHours { get; set; } = 12;

    /// <summary>Failed sign-ins of one name, within <see cref="LockoutMinutes"/>, that lock it out for that long.</summary>
    public int MaxFailedSignIns { get; set; } = 5;

    public double LockoutMinutes { get; set; } = 15;

    /// <summary>Sign-in and setup attempts one client address may make per minute, whatever names it tries.</summary>
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>Optional single sign-on (<c>Security:Oidc:Authority</c>, <c>ClientId</c>, …); off while Authority or ClientId is unset.</summary>
    public Accounts.OidcOptions Oidc { get; set; } = new();

    /// <summary>
    /// <c>Required</c>, the default: every agent presents an enrollment token (once) or its own credential,
    /// and may publish only for its own machine id; the hub's built-in agent needs nothing. <c>Off</c>:
    /// agents are not checked (a lab, or a benchmark of the hub alone), logged as a warning at every start.
    /// </summary>
    public AgentAuthenticationMode AgentAuthentication { get; set; } = AgentAuthenticationMode.Required;

    /// <summary>
    /// PEM file of the CA that issues agents' client certificates. Set: the https:// gRPC endpoint requires a
    /// client certificate chaining to it (mutual TLS) and refuses the TLS handshake otherwise.
    /// </summary>
    public string? AgentClientCaFile { get; set; }
}

public enum AgentAuthenticationMode
{
    Off,
    Required,
}
