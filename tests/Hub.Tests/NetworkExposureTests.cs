using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using SysMon.Hub.Security;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Anonymous viewing from the network is an explicit, visible choice.</summary>
public sealed class NetworkExposureTests
{
    [Theory]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://127.8.9.10:5000", true)]
    [InlineData("http://[::1]:5001", true)]
    [InlineData("http://0.0.0.0:5001", false)]
    [InlineData("http://*:5001", false)]
    [InlineData("http://+:5001", false)]
    [InlineData("http://[::]:5001", false)]
    [InlineData("http://10.0.0.5:5001", false)]
    [InlineData("https://hub.example.com:443", false)]
    [InlineData("not a url", false)]
    public void OnlyLoopbackAddressesCountAsPrivate(string url, bool loopback) =>
        Assert.Equal(loopback, NetworkExposure.IsLoopback(url));

    [Fact]
    public void ExposedUrlsComeFromKestrelEndpointsAndUrls()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Web:Url"] = "http://localhost:5000",
            ["Kestrel:Endpoints:Grpc:Url"] = "http://0.0.0.0:5001",
            ["urls"] = "http://127.0.0.1:6000; http://*:6001",
        }).Build();

        Assert.Equal(["http://0.0.0.0:5001", "http://*:6001"], NetworkExposure.ExposedUrls(configuration));
    }

    [Fact]
    public async Task WithTheExplicitOptionAnyoneViewsWithoutSignInAndTheMetricsSaySo()
    {
        await using var remoteHub = new HubFactory { PeerAddress = System.Net.IPAddress.Parse("192.0.2.50") };
        await using var exposed = remoteHub.WithWebHostBuilder(b =>
        {
            b.UseSetting("Kestrel:Endpoints:Grpc:Url", "http://0.0.0.0:5001");
            b.UseSetting("Security:AllowUnauthenticatedNetwork", "true");
        });
        using var http = exposed.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/api/fleet").WithTimeout()).StatusCode);
        Assert.Matches(@"sysmon_hub_unauthenticated_network\{hub=""[^""]+""\} 1", await http.GetStringAsync("/metrics").WithTimeout());
    }
}

public sealed class CredentialsCommandTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("24h", 86400)]
    [InlineData("7d", 604800)]
    [InlineData("1.5h", 5400)]
    public void DurationsAreSecondsMinutesHoursOrDays(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SysMon.Hub.Security.CredentialsCommand.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("0h")]
    [InlineData("-1d")]
    [InlineData("12")]
    [InlineData("1w")]
    [InlineData("NaNh")]
    public void AnythingElseIsRefused(string text) =>
        Assert.Null(SysMon.Hub.Security.CredentialsCommand.ParseDuration(text));
}
