using SysMon.Agent.Extensions;
using SysMon.Hub.Security;

namespace SysMon.Hub.Extensions;

/// <summary>Runs the real agent inside the hub so its own host shows up with zero setup.</summary>
public static class EmbeddedAgentExtensions
{
    public static WebApplicationBuilder AddEmbeddedAgent(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(EmbeddedAgentOptions.SectionName);
        builder.Services.Configure<EmbeddedAgentOptions>(section);
        var options = section.Get<EmbeddedAgentOptions>() ?? new EmbeddedAgentOptions();
        if (!options.Enabled)
        {
            return builder;
        }
        // Checked here as a standalone agent checks them at start: otherwise every sample would be refused by this very hub.
        if (Protocol.MachineTags.Problem(Protocol.MachineTags.Parse(options.Tags)) is { } tags)
        {
            throw new InvalidOperationException($"EmbeddedAgent:Tags: {tags}");
        }
        if (Protocol.WatchedProcessNames.Problem(Protocol.WatchedProcessNames.Parse(options.WatchProcesses)) is { } watched)
        {
            throw new InvalidOperationException($"EmbeddedAgent:WatchProcesses: {watched}");
        }
        var hubUrl = string.IsNullOrWhiteSpace(options.HubUrl)
            ? LoopbackUrl(builder.Configuration["Kestrel:Endpoints:Grpc:Url"])
            : options.HubUrl;
        // Where agents must authenticate, the hub's own agent carries a random in-process secret that the
        // authenticator recognises: nothing to enroll, nothing written to disk.
        var required = builder.Configuration.GetValue<AgentAuthenticationMode?>($"{SecurityOptions.SectionName}:{nameof(SecurityOptions.AgentAuthentication)}")
            != AgentAuthenticationMode.Off;
        var credential = required ? new EmbeddedAgentCredential(AgentSecrets.New(AgentSecrets.CredentialPrefix)) : null;
        if (credential is not null)
        {
            builder.Services.AddSingleton(credential);
        }
        builder.Services.AddSysMonAgent(agent =>
        {
            agent.HubUrl = hubUrl;
            agent.MachineId = options.MachineId;
            agent.Token = credential?.Secret;
            agent.Tags = options.Tags;
            agent.WatchProcesses = options.WatchProcesses;
        });
        return builder;
    }

    /// <summary>
    /// The URL the embedded agent dials to reach this hub's own gRPC endpoint. A wildcard bind address
    /// ("0.0.0.0", "*", "+", "[::]") is no address to dial, and "localhost" may try IPv6 first where only
    /// IPv4 listens: both become 127.0.0.1, keeping the configured port.
    /// </summary>
    internal static string LoopbackUrl(string? endpointUrl)
    {
        var url = string.IsNullOrWhiteSpace(endpointUrl) ? "http://localhost:5001" : endpointUrl;
        var uri = new UriBuilder(NetworkExposure.WithParsableWildcards(url));
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
        {
            uri.Host = "127.0.0.1";
        }
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }
}
