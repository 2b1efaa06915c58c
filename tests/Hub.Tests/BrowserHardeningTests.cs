using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SysMon.Hub.Security;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>The headers every browser-facing answer carries, and CORS that only listed origins pass.</summary>
public sealed class BrowserHardeningTests : IClassFixture<HubFactory>
{
    private readonly HubFactory hub;

    public BrowserHardeningTests(HubFactory hub) => this.hub = hub;

    [Theory]
    [InlineData("/api/machines")]
    [InlineData("/api/fleet")]
    [InlineData("/healthz")]
    [InlineData("/no/such/page")]
    public async Task EveryAnswerForbidsFramingSniffingAndForeignScript(string path)
    {
        using var http = hub.CreateClient();
        using var response = await http.GetAsync(path).WithTimeout();

        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(BrowserHardening.ContentSecurityPolicy, csp);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task WithNoOriginsListedACrossOriginCallGetsNoCorsGrant()
    {
        using var http = hub.CreateClient();
        using var preflight = Preflight("https://attacker.example");
        using var response = await http.SendAsync(preflight).WithTimeout();

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), "CORS must be off by default");
    }

    [Fact]
    public async Task AListedOriginIsGrantedAndAnyOtherIsNot()
    {
        await using var listed = hub.WithWebHostBuilder(b => b.UseSetting("Security:CorsOrigins:0", "https://ops.example"));
        using var http = listed.CreateClient();

        using (var ok = await http.SendAsync(Preflight("https://ops.example")).WithTimeout())
        {
            Assert.Equal("https://ops.example", Assert.Single(ok.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.Equal("true", Assert.Single(ok.Headers.GetValues("Access-Control-Allow-Credentials")));
        }
        using (var refused = await http.SendAsync(Preflight("https://ops.example.attacker.example")).WithTimeout())
        {
            Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        }
        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/machines");
        get.Headers.Add("Origin", "https://other.example");
        using var plain = await http.SendAsync(get).WithTimeout();
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.False(plain.Headers.Contains("Access-Control-Allow-Origin"), "an unlisted origin's page cannot read the answer");
    }

    /// <summary>
    /// Browsers send no preflight before a WebSocket, and a page anywhere can point one at localhost: without
    /// this check a web page could read the fleet from a first-run hub (open to this host) in its visitor's browser.
    /// </summary>
    [Theory]
    [InlineData("/hubs/monitor/negotiate?negotiateVersion=1", "https://attacker.example", HttpStatusCode.Forbidden)]
    [InlineData("/api/fleet", "http://localhost.attacker.example", HttpStatusCode.Forbidden)]
    [InlineData("/api/fleet", "null", HttpStatusCode.Forbidden)]
    [InlineData("/hubs/monitor/negotiate?negotiateVersion=1", "http://localhost", HttpStatusCode.OK)]
    [InlineData("/api/fleet", "http://localhost", HttpStatusCode.OK)]
    public async Task RequestsFromOtherOriginsAreRefusedBeforeTheyReachTheApiOrTheHub(string path, string origin, HttpStatusCode expected)
    {
        using var http = hub.CreateClient();
        using var request = new HttpRequestMessage(path.Contains("negotiate", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get, path);
        request.Headers.Add("Origin", origin);
        using var response = await http.SendAsync(request).WithTimeout();
        Assert.Equal(expected, response.StatusCode);
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/machines");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        return request;
    }
}
