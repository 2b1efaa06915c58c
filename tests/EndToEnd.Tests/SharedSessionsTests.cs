using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// People's sessions across hubs, with real processes and a real Redis: one sign-in is good on every hub
/// behind the load balancer (shared users and key ring), and what ends a session on one hub ends it on
/// all (the revocation channel), live connections included. Its own Redis: the other hub tests expect a
/// hub without users.
/// </summary>
public sealed partial class SharedSessionsTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly RedisServer redis = new();
    private HubProcess a = null!;
    private HubProcess b = null!;

    public async Task InitializeAsync()
    {
        await redis.InitializeAsync();
        var hubs = await Task.WhenAll(
            HubProcess.StartAsync("hub-sessions-a", redis.ConnectionString),
            HubProcess.StartAsync("hub-sessions-b", redis.ConnectionString));
        (a, b) = (hubs[0], hubs[1]);
    }

    public async Task DisposeAsync()
    {
        if (a is not null) await a.DisposeAsync();
        if (b is not null) await b.DisposeAsync();
        await redis.DisposeAsync();
    }

    [GeneratedRegex(@"setup code ([A-Z2-7]{5}-[A-Z2-7]{5})")]
    private static partial Regex SetupCode();

    /// <summary>A browser's cookie jar: both hubs are on 127.0.0.1, so it sends the same cookies to each, as to one load-balanced name.</summary>
    private sealed class Browser : IDisposable
    {
        private readonly HttpClient _http;
        public CookieContainer Cookies { get; } = new();
        private string _csrf = "";

        public Browser() => _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies }) { Timeout = TimeSpan.FromSeconds(10) };

        public async Task<JsonElement> SessionAsync(HubProcess hub)
        {
            var session = await _http.GetFromJsonAsync<JsonElement>(new Uri(hub.WebUrl, "api/session")).WithTimeout();
            _csrf = session.GetProperty("csrfToken").GetString()!;
            return session;
        }

        public async Task<HttpResponseMessage> SendAsync(HubProcess hub, HttpMethod method, string path, object? body = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(hub.WebUrl, path));
            if (body is not null)
            {
                request.Content = JsonContent.Create(body);
            }
            request.Headers.Add("X-SysMon-Csrf", _csrf);
            var response = await _http.SendAsync(request).WithTimeout();
            await response.Content.LoadIntoBufferAsync().WithTimeout();
            return response;
        }

        public async Task<HttpStatusCode> StatusAsync(HubProcess hub, string path)
        {
            using var response = await _http.GetAsync(new Uri(hub.WebUrl, path)).WithTimeout();
            return response.StatusCode;
        }

        public async Task SignInAsync(HubProcess hub, string name, string password)
        {
            await SessionAsync(hub);
            using var response = await SendAsync(hub, HttpMethod.Post, "api/session/sign-in", new { name, password });
            Assert.True(response.IsSuccessStatusCode, $"sign-in as {name} on {hub}: {await response.Content.ReadAsStringAsync()}");
            await SessionAsync(hub);
        }

        public HubConnection Viewer(HubProcess hub) => new HubConnectionBuilder()
            .WithUrl(new Uri(hub.WebUrl, "hubs/monitor"), options => options.Cookies = Cookies)
            .Build();

        public void Dispose() => _http.Dispose();
    }

    private async Task<Browser> SetUpAdminOnAAsync()
    {
        await Deadline.Until(() => SetupCode().IsMatch(a.Output), "hub A prints its setup code");
        var browser = new Browser();
        await browser.SessionAsync(a);
        using var setup = await browser.SendAsync(a, HttpMethod.Post, "api/setup",
            new { setupCode = SetupCode().Match(a.Output).Groups[1].Value, name = "root", password = Password });
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        await browser.SessionAsync(a);
        return browser;
    }

    [Fact]
    public async Task ASignInOnOneHubHoldsOnTheOtherAndSigningOutEverywhereEndsItOnBoth()
    {
        using var laptop = await SetUpAdminOnAAsync();
        Assert.Equal(HttpStatusCode.OK, await laptop.StatusAsync(b, "api/fleet"));
        using (var anonymous = new Browser())
        {
            await Deadline.Until(async () => await anonymous.StatusAsync(b, "api/fleet") == HttpStatusCode.Unauthorized,
                "hub B learns that users exist and stops serving this host anonymously");
        }

        using var phone = new Browser();
        await phone.SignInAsync(b, "root", Password);
        await using var live = phone.Viewer(a);
        await live.StartAsync().WithTimeout();
        var closed = new TaskCompletionSource();
        live.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        await laptop.SessionAsync(b);
        using var everywhere = await laptop.SendAsync(b, HttpMethod.Post, "api/session/sign-out-everywhere");
        Assert.Equal(HttpStatusCode.OK, everywhere.StatusCode);

        await closed.Task.WithTimeout(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Unauthorized, await phone.StatusAsync(a, "api/fleet"));
    }

    [Fact]
    public async Task TokensAndUsersMadeAnywhereWorkEverywhereAndTheAuditIsShared()
    {
        using var admin = await SetUpAdminOnAAsync();

        // A viewer made with the command line, against the same Redis.
        await using (var command = ChildProcess.Start("users-add", "dotnet", [RepoPaths.HubDll, "users", "add", "carol", "--role", "viewer"],
            new Dictionary<string, string?> { ["ConnectionStrings__Redis"] = redis.ConnectionString }))
        {
            await command.WriteInputAsync("carol's long passphrase");
            Assert.Equal(0, await command.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }
        using var carol = new Browser();
        await carol.SignInAsync(b, "carol", "carol's long passphrase");
        Assert.Equal(HttpStatusCode.OK, await carol.StatusAsync(a, "api/machines"));
        Assert.Equal(HttpStatusCode.Forbidden, await carol.StatusAsync(a, "api/admin/users"));

        await admin.SessionAsync(b);
        using var created = await admin.SendAsync(b, HttpMethod.Post, "api/admin/api-tokens", new { name = "prometheus" });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var (id, secret) = (body.GetProperty("token").GetProperty("id").GetString()!, body.GetProperty("secret").GetString()!);
        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        scraper.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync(new Uri(a.WebUrl, "metrics")).WithTimeout()).StatusCode);

        await admin.SessionAsync(a);
        using (var revoked = await admin.SendAsync(a, HttpMethod.Delete, $"api/admin/api-tokens/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await scraper.GetAsync(new Uri(b.WebUrl, "metrics")).WithTimeout()).StatusCode);

        var audit = await new HttpClient(new HttpClientHandler { CookieContainer = admin.Cookies })
            .GetFromJsonAsync<JsonElement>(new Uri(b.WebUrl, "api/admin/audit")).WithTimeout();
        var actions = audit.EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["api-token-revoked", "api-token-created", "sign-in", "user-created", "setup"], actions);
        Assert.StartsWith("cli:", audit[3].GetProperty("actor").GetString(), StringComparison.Ordinal);
    }
}
