using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// gRPC over TLS with real processes: a hub serving a certificate from a private CA, and real agents that
/// trust it through a CA file or a pinned fingerprint, and refuse it otherwise.
/// </summary>
public sealed class HubTlsTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sysmon-tls-");
    private HubProcess _hub = null!;
    private HubProcess _mutualHub = null!;
    private Uri _mutualHubUrl = null!;
    private string _clientCertificate = "";
    private string _clientKey = "";
    private Uri _hubUrl = null!;
    private string _caFile = "";
    private string _otherCaFile = "";
    private string _fingerprint = "";

    public async Task InitializeAsync()
    {
        var (ca, caKey) = CreateCa("SysMon Test CA");
        var (other, otherKey) = CreateCa("Somebody Else's CA");
        using (ca)
        using (caKey)
        using (other)
        using (otherKey)
        using (var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var request = new CertificateRequest("CN=127.0.0.1", leafKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
            _caFile = Write("ca.pem", ca.ExportCertificatePem());
            _otherCaFile = Write("other-ca.pem", other.ExportCertificatePem());
            _fingerprint = Convert.ToHexString(SHA256.HashData(leaf.RawData));
            var certificate = Write("hub.pem", leaf.ExportCertificatePem());
            var key = Write("hub.key", leafKey.ExportPkcs8PrivateKeyPem());

            // An agent's client certificate from the same CA, for the hub that requires one.
            using (var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var clientRequest = new CertificateRequest("CN=agent-1", clientKey, HashAlgorithmName.SHA256);
                clientRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
                clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
                using var client = clientRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
                _clientCertificate = Write("agent.pem", client.ExportCertificatePem());
                _clientKey = Write("agent.key", clientKey.ExportPkcs8PrivateKeyPem());
            }

            var grpcPort = FreePort.Next();
            _hubUrl = new Uri($"https://127.0.0.1:{grpcPort}");
            _hub = await HubProcess.StartAsync("tls-hub", redis: null, new Dictionary<string, string?>
            {
                ["Kestrel__Endpoints__Grpc__Url"] = _hubUrl.ToString().TrimEnd('/'),
                ["Kestrel__Endpoints__Grpc__Certificate__Path"] = certificate,
                ["Kestrel__Endpoints__Grpc__Certificate__KeyPath"] = key,
            }, grpcPort: grpcPort);

            var mutualPort = FreePort.Next();
            _mutualHubUrl = new Uri($"https://127.0.0.1:{mutualPort}");
            _mutualHub = await HubProcess.StartAsync("tls-mutual-hub", redis: null, new Dictionary<string, string?>
            {
                ["Kestrel__Endpoints__Grpc__Url"] = _mutualHubUrl.ToString().TrimEnd('/'),
                ["Kestrel__Endpoints__Grpc__Certificate__Path"] = certificate,
                ["Kestrel__Endpoints__Grpc__Certificate__KeyPath"] = key,
                ["Security__AgentClientCaFile"] = _caFile,
            }, grpcPort: mutualPort);
        }
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _mutualHub.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task AnAgentTrustingThePrivateCaStreams()
    {
        await using var agent = Agent("tls-ca", "--ca-file", _caFile);
        await ConnectsAsync(agent);
    }

    [Fact]
    public async Task AnAgentPinningTheHubCertificateStreams()
    {
        await using var agent = Agent("tls-pin", "--hub-fingerprint", string.Join(':', _fingerprint.Chunk(2).Select(c => new string(c))));
        await ConnectsAsync(agent);
    }

    [Theory]
    [InlineData("system trust")]
    [InlineData("another CA")]
    [InlineData("another pin")]
    public async Task AnAgentThatCannotVerifyTheHubRefusesIt(string how)
    {
        string[] trust = how switch
        {
            "another CA" => ["--ca-file", _otherCaFile],
            "another pin" => ["--hub-fingerprint", new string('A', 64)],
            _ => [],
        };
        await using var agent = Agent("tls-refused", trust);
        await Deadline.Until(() => agent.Output.Contains("SSL", StringComparison.OrdinalIgnoreCase) || agent.Output.Contains("certificate", StringComparison.OrdinalIgnoreCase),
            "the agent reports the failed TLS handshake", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("Connected to hub", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHubRequiringClientCertificatesTakesAnAgentWithOneAndRefusesOneWithout()
    {
        await using (var with = AgentProcess.Start($"tls-mutual-{Guid.NewGuid():N}"[..30], _mutualHubUrl,
            "--ca-file", _caFile, "--client-cert", _clientCertificate, "--client-key", _clientKey, "--state-dir", Path.Combine(_dir.FullName, "mutual")))
        {
            await ConnectsAsync(with);
        }

        await using var without = AgentProcess.Start($"tls-nocert-{Guid.NewGuid():N}"[..30], _mutualHubUrl,
            "--ca-file", _caFile, "--state-dir", Path.Combine(_dir.FullName, "nocert"));
        await Deadline.Until(() => without.Output.Contains("Cannot reach hub", StringComparison.Ordinal),
            "the agent without a client certificate is refused", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("Connected to hub", without.Output, StringComparison.Ordinal);
    }

    private async Task ConnectsAsync(ChildProcess agent)
    {
        try
        {
            await Deadline.Until(() => agent.Output.Contains("Connected to hub", StringComparison.Ordinal), "the agent connects over TLS", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{agent}\n{_hub.Output}\n{_mutualHub.Output}", e);
        }
    }

    private ChildProcess Agent(string name, params string[] trust) =>
        AgentProcess.Start($"{name}-{Guid.NewGuid():N}"[..30], _hubUrl, [.. trust, "--state-dir", Path.Combine(_dir.FullName, name)]);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (X509Certificate2 Certificate, ECDsa Key) CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2)), key);
    }
}
