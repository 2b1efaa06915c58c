using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using SysMon.Hub.Security;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Until authentication lands, a hub reachable from the network must be an explicit, visible choice.</summary>
public sealed class NetworkExposureTests(HubFactory hub) : IClassFixture<HubFactory>
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
    public void AHubOnAllInterfacesWithoutTheExplicitOptionRefusesToStart()
    {
        using var exposed = hub.WithWebHostBuilder(b => b.UseSetting("Kestrel:Endpoints:Grpc:Url", "http://0.0.0.0:5001"));

        var error = Assert.Throws<InvalidOperationException>(() => exposed.CreateClient());

        Assert.Contains("Refusing to listen on http://0.0.0.0:5001", error.Message, StringComparison.Ordinal);
        Assert.Contains("Security__AllowUnauthenticatedNetwork", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithTheExplicitOptionItStartsAndSaysSoInItsMetrics()
    {
        await using var exposed = hub.WithWebHostBuilder(b =>
        {
            b.UseSetting("Kestrel:Endpoints:Grpc:Url", "http://0.0.0.0:5001");
            b.UseSetting("Security:AllowUnauthenticatedNetwork", "true");
        });
        using var http = exposed.CreateClient();

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
