using SysMon.Agent.Configuration;
using SysMon.Agent.Streaming;
using Xunit;

namespace SysMon.Agent.Tests.Configuration;

public sealed class HubTlsParsingTests
{
    private const string Hex = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";

    [Theory]
    [InlineData(Hex)]
    [InlineData("01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF")]
    [InlineData("sha256/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void FingerprintsAreSha256InHexWithOrWithoutColons(string text) =>
        Assert.Equal(Convert.FromHexString(Hex), HubTls.ParseFingerprint(text));

    [Theory]
    [InlineData("")]
    [InlineData("0123")]
    [InlineData("ZZ23456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")]
    [InlineData(Hex + "00")]
    public void AnythingElseIsNoFingerprint(string text) => Assert.Null(HubTls.ParseFingerprint(text));

    [Fact]
    public void WithNothingConfiguredThePlatformChecksTheHub() =>
        Assert.Null(HubTls.From(new AgentOptions()).Validator);

    [Fact]
    public void AMissingCaFileABadOneAndABadPinStopTheAgentNamingTheSetting()
    {
        var empty = Path.GetTempFileName();
        try
        {
            var missing = AgentOptionsValidation.Validate(new AgentOptions { HubUrl = "https://hub:5001", CaFile = "/no/such/ca.pem" });
            var noCertificate = AgentOptionsValidation.Validate(new AgentOptions { HubUrl = "https://hub:5001", CaFile = empty });
            var badPin = AgentOptionsValidation.Validate(new AgentOptions { HubUrl = "https://hub:5001", HubFingerprint = "abc" });
            var certWithoutKey = AgentOptionsValidation.Validate(new AgentOptions { HubUrl = "https://hub:5001", ClientCertificate = empty });
            var unreadableCert = AgentOptionsValidation.Validate(new AgentOptions { HubUrl = "https://hub:5001", ClientCertificate = empty, ClientKey = empty });

            Assert.Contains(missing, e => e.StartsWith("CaFile:", StringComparison.Ordinal));
            Assert.Contains(noCertificate, e => e.StartsWith("CaFile:", StringComparison.Ordinal) && e.Contains("no PEM certificate", StringComparison.Ordinal));
            Assert.Contains(badPin, e => e.StartsWith("HubFingerprint:", StringComparison.Ordinal));
            Assert.Contains(certWithoutKey, e => e.StartsWith("ClientCertificate and ClientKey go together", StringComparison.Ordinal));
            Assert.Contains(unreadableCert, e => e.StartsWith("ClientCertificate: cannot load", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(empty);
        }
    }
}
