using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SysMon.Hub.Accounts;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Behind a listed proxy, the client's address comes from X-Forwarded-For; from anyone else, the header means nothing.</summary>
public sealed class TrustedProxyTests
{
    private static WebApplicationFactory<Program> Behind(HubFactory hub) => hub.WithWebHostBuilder(b =>
    {
        b.UseSetting("Security:TrustedProxies:0", "10.0.0.0/24");
        b.UseSetting("Security:SignInAttemptsPerMinute", "2");
    });

    private static async Task<HttpStatusCode> SignInAsync(HttpClient http, string client)
    {
        var session = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/session").WithTimeout();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/session/sign-in")
        {
            Content = JsonContent.Create(new { name = "nobody", password = "wrong password" }),
        };
        request.Headers.Add("X-SysMon-Csrf", session.GetProperty("csrfToken").GetString());
        request.Headers.Add("X-Forwarded-For", client);
        using var response = await http.SendAsync(request).WithTimeout();
        return response.StatusCode;
    }

    [Fact]
    public async Task ThrottlingAndTheAuditMeetTheClientBehindAListedProxy()
    {
        await using var proxy = new HubFactory { PeerAddress = IPAddress.Parse("10.0.0.1") };
        await using var hub = Behind(proxy);
        using var http = hub.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });

        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(http, "198.51.100.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(http, "198.51.100.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInAsync(http, "198.51.100.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(http, "198.51.100.2")); // another client is not held back

        var audit = await hub.Services.GetRequiredService<IAuditLog>().ReadAsync(10);
        Assert.Equal(["198.51.100.2", "198.51.100.1", "198.51.100.1"], audit.Select(e => e.Address));
    }

    [Fact]
    public async Task FromAnyOtherPeerTheHeaderIsIgnored()
    {
        await using var stranger = new HubFactory { PeerAddress = IPAddress.Parse("203.0.113.9") };
        await using var hub = Behind(stranger);
        using var http = hub.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });

        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(http, "198.51.100.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(http, "198.51.100.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInAsync(http, "198.51.100.3")); // one address, whatever it claims

        var audit = await hub.Services.GetRequiredService<IAuditLog>().ReadAsync(10);
        Assert.All(audit, e => Assert.Equal("203.0.113.9", e.Address));
    }
}
