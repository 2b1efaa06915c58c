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
    /// Lets the hub listen on a non-loopback address although it has no authentication yet (see
    /// <see cref="NetworkExposure"/>). Off: such a hub refuses to start.
    /// </summary>
    public bool AllowUnauthenticatedNetwork { get; set; }

    /// <summary>
    /// <c>Required</c>: every agent presents an enrollment token (once) or its own credential, and may
    /// publish only for its own machine id. <c>Off</c> (for now the default, until people can sign in
    /// and a first run can create tokens from the dashboard): agents are not checked.
    /// </summary>
    public AgentAuthenticationMode AgentAuthentication { get; set; } = AgentAuthenticationMode.Off;

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
