using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SysMon.Agent.Streaming;

/// <summary>
/// How the agent decides that an https:// hub is the hub (docs/security.md, "Transport"): by default the
/// system's trust store and the host name; with <c>CaFile</c>, a certificate chaining to one of the CAs in
/// that PEM file (a private CA), host name still checked; with <c>HubFingerprint</c>, exactly the
/// certificate whose SHA-256 is pinned, whatever signed it (a self-signed hub).
/// </summary>
public sealed class HubTls
{
    private readonly X509Certificate2Collection? _roots;
    private readonly byte[]? _pin;

    private HubTls(X509Certificate2Collection? roots, byte[]? pin, X509Certificate2? clientCertificate)
    {
        _roots = roots;
        _pin = pin;
        ClientCertificate = clientCertificate;
    }

    /// <summary>System trust only, no client certificate.</summary>
    public static HubTls System { get; } = new(null, null, null);

    /// <summary>The certificate presented to hubs that require one (mutual TLS), or null.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>From the agent's settings; throws with a sentence naming the setting when a file or pin is unusable.</summary>
    public static HubTls From(AgentOptions options)
    {
        X509Certificate2Collection? roots = null;
        if (!string.IsNullOrWhiteSpace(options.CaFile))
        {
            roots = [];
            try
            {
                roots.ImportFromPemFile(options.CaFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new InvalidOperationException($"CaFile: cannot read CA certificates from '{options.CaFile}': {e.Message}", e);
            }
            if (roots.Count == 0)
            {
                throw new InvalidOperationException($"CaFile: '{options.CaFile}' holds no PEM certificate.");
            }
        }
        byte[]? pin = null;
        if (!string.IsNullOrWhiteSpace(options.HubFingerprint))
        {
            pin = ParseFingerprint(options.HubFingerprint)
                ?? throw new InvalidOperationException("HubFingerprint: expected the hub certificate's SHA-256 as 64 hex digits (colons allowed).");
        }
        X509Certificate2? client = null;
        if (!string.IsNullOrWhiteSpace(options.ClientCertificate) || !string.IsNullOrWhiteSpace(options.ClientKey))
        {
            if (string.IsNullOrWhiteSpace(options.ClientCertificate) || string.IsNullOrWhiteSpace(options.ClientKey))
            {
                throw new InvalidOperationException("ClientCertificate and ClientKey go together: set both (--client-cert and --client-key) or neither.");
            }
            try
            {
                client = X509Certificate2.CreateFromPemFile(options.ClientCertificate, options.ClientKey);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw new InvalidOperationException($"ClientCertificate: cannot load '{options.ClientCertificate}' with key '{options.ClientKey}': {e.Message}", e);
            }
        }
        return roots is null && pin is null && client is null ? System : new HubTls(roots, pin, client);
    }

    /// <summary>"AB:CD:…" or "abcd…" (64 hex digits) → 32 bytes; null otherwise. Pure.</summary>
    public static byte[]? ParseFingerprint(string text)
    {
        var hex = text.Replace(":", "", StringComparison.Ordinal).Trim();
        if (hex.StartsWith("sha256/", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[7..];
        }
        if (hex.Length != 64)
        {
            return null;
        }
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The certificate check for the hub's TLS handshake; null keeps the platform's own.</summary>
    public RemoteCertificateValidationCallback? Validator => _roots is null && _pin is null ? null : Validate;

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }
        if (_pin is not null)
        {
            return CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.GetRawCertData()), _pin);
        }
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots!);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
