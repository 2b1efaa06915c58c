using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// Single sign-on with a real hub process and a real OpenID Connect provider on loopback (authorization
/// code with PKCE, a signed id_token): roles from the provider's groups, refusals, no take-over of local
/// accounts, and role changes at the provider ending older sessions.
/// </summary>
public sealed class SingleSignOnTests : IAsyncLifetime
{
    private TestIdentityProvider provider = null!;
    private HubProcess hub = null!;

    public async Task InitializeAsync()
    {
        provider = await TestIdentityProvider.StartAsync();
        hub = await HubProcess.StartAsync("hub-sso", redis: null, new Dictionary<string, string?>
        {
            ["Security__Oidc__Authority"] = provider.Url.ToString(),
            ["Security__Oidc__ClientId"] = TestIdentityProvider.ClientId,
            ["Security__Oidc__ClientSecret"] = TestIdentityProvider.ClientSecret,
            ["Security__Oidc__RequireHttpsMetadata"] = "false",
            ["Security__Oidc__DisplayName"] = "Test IdP",
            ["Security__Oidc__AdminValues__0"] = "sysmon-admins",
            ["Security__Oidc__ViewerValues__0"] = "sysmon-viewers",
        });
    }

    public async Task DisposeAsync()
    {
        if (hub is not null) await hub.DisposeAsync();
        if (provider is not null) await provider.DisposeAsync();
    }

    /// <summary>A browser: cookies kept, redirects followed (to the provider and back).</summary>
    private sealed class Browser : IDisposable
    {
        private readonly HttpClient _http = new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true })
        {
            Timeout = TimeSpan.FromSeconds(20),
        };

        public Browser(Uri hub) => _http.BaseAddress = hub;

        /// <summary>Follows the sign-in button; returns where the redirects ended.</summary>
        public async Task<Uri> SignInWithProviderAsync()
        {
            using var response = await _http.GetAsync("api/session/sso").WithTimeout();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.RequestMessage!.RequestUri!;
        }

        public Task<JsonElement> SessionAsync() => _http.GetFromJsonAsync<JsonElement>("api/session").WithTimeout();

        public async Task<HttpStatusCode> StatusAsync(string path)
        {
            using var response = await _http.GetAsync(path).WithTimeout();
            return response.StatusCode;
        }

        public HttpClient Http => _http;

        public void Dispose() => _http.Dispose();
    }

    [Fact]
    public async Task ProviderGroupsDecideTheRoleAndNobodyElseGetsIn()
    {
        using var anonymous = new Browser(hub.WebUrl);
        var before = await anonymous.SessionAsync();
        Assert.Equal("none", before.GetProperty("kind").GetString()); // with single sign-on, not even this host looks anonymously
        Assert.Equal("Test IdP", before.GetProperty("singleSignOn").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, await anonymous.StatusAsync("api/fleet"));

        provider.NextUser = new("sub-alice", "Alice", "sysmon-viewers");
        using var alice = new Browser(hub.WebUrl);
        Assert.Equal("/", (await alice.SignInWithProviderAsync()).AbsolutePath);
        var session = await alice.SessionAsync();
        Assert.Equal(("user", "alice", "viewer"),
            (session.GetProperty("kind").GetString(), session.GetProperty("name").GetString(), session.GetProperty("role").GetString()));
        Assert.Equal(HttpStatusCode.OK, await alice.StatusAsync("api/fleet"));
        Assert.Equal(HttpStatusCode.Forbidden, await alice.StatusAsync("api/admin/users"));

        provider.NextUser = new("sub-bob", "bob", "sysmon-admins");
        using var bob = new Browser(hub.WebUrl);
        await bob.SignInWithProviderAsync();
        Assert.Equal("admin", (await bob.SessionAsync()).GetProperty("role").GetString());
        var users = await bob.Http.GetFromJsonAsync<JsonElement>("api/admin/users").WithTimeout();
        Assert.Equal(["oidc", "oidc"], users.EnumerateArray().Select(u => u.GetProperty("source").GetString()));

        // Someone the provider knows but who is in no allowed group.
        provider.NextUser = new("sub-eve", "eve", "finance");
        using var eve = new Browser(hub.WebUrl);
        var landed = await eve.SignInWithProviderAsync();
        Assert.Contains("sso_error=", landed.Query, StringComparison.Ordinal);
        Assert.Contains("not in a group", Uri.UnescapeDataString(landed.Query), StringComparison.Ordinal);
        Assert.Equal("none", (await eve.SessionAsync()).GetProperty("kind").GetString());

        var audit = await bob.Http.GetFromJsonAsync<JsonElement>("api/admin/audit").WithTimeout();
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "sign-in-failed" && e.GetProperty("target").GetString() == "eve");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "sign-in" && e.GetProperty("actor").GetString() == "alice"
            && e.GetProperty("detail").GetString() == "single sign-on");
    }

    [Fact]
    public async Task AChangedGroupAtTheProviderEndsOlderSessionsAndALocalAccountIsNeverTakenOver()
    {
        provider.NextUser = new("sub-dave", "dave", "sysmon-admins");
        using var laptop = new Browser(hub.WebUrl);
        await laptop.SignInWithProviderAsync();
        Assert.Equal(HttpStatusCode.OK, await laptop.StatusAsync("api/admin/users"));

        // The provider moves dave to viewers; his next sign-in (another device) makes him a viewer everywhere.
        provider.NextUser = new("sub-dave", "dave", "sysmon-viewers");
        using var phone = new Browser(hub.WebUrl);
        await phone.SignInWithProviderAsync();
        Assert.Equal("viewer", (await phone.SessionAsync()).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, await laptop.StatusAsync("api/admin/users"));

        // A local account named like a provider's user stays the local person's.
        provider.NextUser = new("sub-root", "root", "sysmon-admins");
        using var admin = new Browser(hub.WebUrl);
        await admin.SignInWithProviderAsync();
        var csrf = (await admin.SessionAsync()).GetProperty("csrfToken").GetString()!;
        using (var request = new HttpRequestMessage(HttpMethod.Post, "api/admin/users")
        {
            Content = JsonContent.Create(new { name = "carol", role = "admin", password = "carol's long passphrase" }),
        })
        {
            request.Headers.Add("X-SysMon-Csrf", csrf);
            using var created = await admin.Http.SendAsync(request).WithTimeout();
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        provider.NextUser = new("sub-impostor", "carol", "sysmon-admins");
        using var impostor = new Browser(hub.WebUrl);
        var landed = await impostor.SignInWithProviderAsync();
        Assert.Contains("does not take it over", Uri.UnescapeDataString(landed.Query), StringComparison.Ordinal);
        Assert.Equal("none", (await impostor.SessionAsync()).GetProperty("kind").GetString());
    }

    /// <summary>
    /// In Chromium: the sign-in form's button, the round trip through the provider, and the dashboard
    /// signed in afterwards (the session cookie is SameSite=Strict; the page's own requests carry it
    /// even though the navigation back came from the provider's site).
    /// </summary>
    [Fact]
    public async Task TheSignInButtonGoesThroughTheProviderAndBackSignedIn()
    {
        provider.NextUser = new("sub-frank", "frank", "sysmon-viewers");
        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        await Chromium.TrapCspViolationsAsync(page);

        await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
        var button = page.GetByTestId("sso");
        await Assertions.Expect(button).ToHaveTextAsync("Sign in with Test IdP").WithTimeout();
        await button.ClickAsync().WithTimeout();

        await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync("frank").WithTimeout();
        await Assertions.Expect(page.Locator("#app-row")).ToBeVisibleAsync().WithTimeout();
        await Assertions.Expect(page.Locator("#connection-state")).ToHaveTextAsync("Connected").WithTimeout();
        Assert.Empty(await Chromium.CspViolationsAsync(page));
    }
}
