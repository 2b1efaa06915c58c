using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace SysMon.Hub.Security;

/// <summary>
/// Mutual TLS for agents (<c>Security:AgentClientCaFile</c>): the gRPC endpoint requires a client
/// certificate issued by that CA. The dashboard's endpoint never asks browsers for one: the mode is set
/// on the Grpc endpoint only, and the validation runs only where a certificate was presented.
/// </summary>
public static class AgentClientCertificates
{
    public static WebApplicationBuilder AddAgentClientCertificates(this WebApplicationBuilder builder)
    {
        var caFile = builder.Configuration[$"{SecurityOptions.SectionName}:{nameof(SecurityOptions.AgentClientCaFile)}"];
        if (string.IsNullOrWhiteSpace(caFile))
        {
            return builder;
        }
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException($"Security:AgentClientCaFile '{caFile}' holds no PEM certificate.");
        }
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:ClientCertificateMode"] = nameof(ClientCertificateMode.RequireCertificate),
        });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
            https.ClientCertificateValidation = (certificate, _, _) => IssuedBy(certificate, roots)));
        return builder;
    }

    /// <summary>True when <paramref name="certificate"/> chains to one of <paramref name="roots"/> and is valid for client authentication.</summary>
    public static bool IssuedBy(X509Certificate2 certificate, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // client authentication
        return chain.Build(certificate);
    }
}
