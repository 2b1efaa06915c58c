using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SysMon.Hub.Accounts;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>
/// People and scripts (docs/security.md, "People"): first run, sign-in, lockout, second factor, sessions
/// ended everywhere, API tokens, roles. Each test has a hub of its own, since users are state.
/// </summary>
public sealed class PeopleAuthenticationTests : IAsyncLifetime
{
    private const string AdminPassword = "correct horse battery";
    private readonly HubFactory hub = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await hub.DisposeAsync();

    private FirstRun FirstRun => hub.Services.GetRequiredService<FirstRun>();

    private Task<BrowserSession> SetUpAdminAsync() => SetUpAdminAsync(hub);

    private static async Task<BrowserSession> SetUpAdminAsync(WebApplicationFactory<Program> factory)
    {
        var session = BrowserSession.Open(factory);
        using var response = await session.PostAsync("/api/setup",
            new { setupCode = factory.Services.GetRequiredService<FirstRun>().SetupCode, name = "root", password = AdminPassword });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return session;
    }

    private async Task<BrowserSession> UserAsync(BrowserSession admin, string name, string role, string[]? tags = null)
    {
        using var created = await admin.PostAsync("/api/admin/users", new { name, role, password = AdminPassword + name, tags });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = BrowserSession.Open(hub);
        await session.SignInAsync(name, AdminPassword + name);
        return session;
    }

    private static async Task<string> TitleAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout()).GetProperty("title").GetString()!;

    [Fact]
    public async Task BeforeTheFirstUserOnlyThisHostIsServedWithoutSignIn()
    {
        using var local = BrowserSession.Open(hub);
        Assert.Equal(HttpStatusCode.OK, await local.StatusOfAsync("/api/fleet"));
        Assert.Equal(HttpStatusCode.OK, await local.StatusOfAsync("/metrics"));
        var session = await local.SessionAsync();
        Assert.Equal("anonymous", session.GetProperty("kind").GetString());
        Assert.True(session.GetProperty("setupAvailable").GetBoolean());

        await using var remoteHub = new HubFactory { PeerAddress = IPAddress.Parse("192.0.2.50") };
        using var remote = BrowserSession.Open(remoteHub);
        Assert.Equal(HttpStatusCode.Unauthorized, await remote.StatusOfAsync("/api/fleet"));
        Assert.Equal(HttpStatusCode.Unauthorized, await remote.StatusOfAsync("/metrics"));
        Assert.Equal(HttpStatusCode.OK, await remote.StatusOfAsync("/healthz"));
        var remoteSession = await remote.SessionAsync();
        Assert.Equal("none", remoteSession.GetProperty("kind").GetString());
        Assert.False(remoteSession.GetProperty("setupAvailable").GetBoolean());
        using var setup = await remote.PostAsync("/api/setup", new { setupCode = remoteHub.Services.GetRequiredService<FirstRun>().SetupCode, name = "x", password = AdminPassword });
        Assert.Equal(HttpStatusCode.Forbidden, setup.StatusCode);
    }

    [Theory]
    [InlineData("Host", "rebound.attacker.example")]   // DNS rebinding: a web page's own name pointed at 127.0.0.1
    [InlineData("X-Forwarded-For", "198.51.100.7")]    // a reverse proxy on this host relaying another host
    [InlineData("Forwarded", "for=198.51.100.7")]
    public async Task ALoopbackRequestThatIsNotReallyThisHostsIsNotServedAnonymously(string header, string value)
    {
        using var http = hub.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/fleet");
        if (header == "Host")
        {
            request.Headers.Host = value;
        }
        else
        {
            request.Headers.Add(header, value);
        }
        using var response = await http.SendAsync(request).WithTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SetupNeedsTheCodeFromTheLogAndHappensOnce()
    {
        using var local = BrowserSession.Open(hub);
        using (var wrong = await local.PostAsync("/api/setup", new { setupCode = "AAAAA-AAAAA", name = "root", password = AdminPassword }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var weak = await local.PostAsync("/api/setup", new { setupCode = FirstRun.SetupCode, name = "root", password = "short" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
            Assert.Equal("Weak password", await TitleAsync(weak));
        }
        using var admin = await SetUpAdminAsync();
        var session = await admin.SessionAsync();
        Assert.Equal("user", session.GetProperty("kind").GetString());
        Assert.Equal("admin", session.GetProperty("role").GetString());

        // Now this host, too, must sign in; and setup is over.
        using var anonymous = BrowserSession.Open(hub);
        Assert.Equal(HttpStatusCode.Unauthorized, await anonymous.StatusOfAsync("/api/fleet"));
        using var again = await anonymous.PostAsync("/api/setup", new { setupCode = FirstRun.SetupCode, name = "second", password = AdminPassword });
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await admin.StatusOfAsync("/api/fleet"));
    }

    [Fact]
    public async Task StateChangingRequestsWithoutTheAntiForgeryTokenAreRefused()
    {
        using var admin = await SetUpAdminAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/users")
        {
            Content = JsonContent.Create(new { name = "forged", role = "admin", password = AdminPassword }),
        };
        using var forged = await admin.Http.SendAsync(request).WithTimeout();
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal("Anti-forgery check failed", await TitleAsync(forged));
        var users = await admin.Http.GetFromJsonAsync<JsonElement>("/api/admin/users").WithTimeout();
        Assert.Equal(["root"], users.EnumerateArray().Select(u => u.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task TheSessionCookieIsHttpOnlyAndSameSiteStrict()
    {
        var session = BrowserSession.Open(hub);
        using var response = await session.PostAsync("/api/setup", new { setupCode = FirstRun.SetupCode, name = "root", password = AdminPassword });
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sysmon_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        session.Dispose();
    }

    [Fact]
    public async Task RepeatedWrongPasswordsLockTheNameEvenForTheRightPassword()
    {
        // Above the per-address limit, so that this test meets the per-name lockout alone.
        await using var hub = this.hub.WithWebHostBuilder(b => b.UseSetting("Security:SignInAttemptsPerMinute", "100"));
        using var admin = await SetUpAdminAsync(hub);
        using var attacker = BrowserSession.Open(hub);
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await attacker.PostAsync("/api/session/sign-in", new { name = "root", password = "wrong password " + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var locked = await attacker.PostAsync("/api/session/sign-in", new { name = "root", password = AdminPassword });
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal("Locked", await TitleAsync(locked));

        // A name that does not exist answers the same way, so lockouts do not reveal names.
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await attacker.PostAsync("/api/session/sign-in", new { name = "nobody", password = "wrong password " + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var nobody = await attacker.PostAsync("/api/session/sign-in", new { name = "nobody", password = AdminPassword });
        Assert.Equal(HttpStatusCode.TooManyRequests, nobody.StatusCode);

        var audit = await admin.Http.GetFromJsonAsync<AuditEntry[]>("/api/admin/audit").WithTimeout();
        Assert.Contains(audit!, e => e.Action == AuditActions.LockedOut && e.Target == "root");
        Assert.Equal(10, audit!.Count(e => e.Action == AuditActions.SignInFailed));

        // The admin's "sign out everywhere" for the user lifts the lockout.
        using (await admin.PostAsync("/api/admin/users/root/sign-out"))
        {
        }
        using var again = BrowserSession.Open(hub);
        await again.SignInAsync("root", AdminPassword);
    }

    [Fact]
    public async Task OneAddressTryingManyNamesIsThrottled()
    {
        await using var strict = hub.WithWebHostBuilder(b => b.UseSetting("Security:SignInAttemptsPerMinute", "3"));
        using var attacker = BrowserSession.Open(strict);
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await attacker.PostAsync("/api/session/sign-in", new { name = "user" + i, password = "wrong password" });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var throttled = await attacker.PostAsync("/api/session/sign-in", new { name = "user9", password = "wrong password" });
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("60", throttled.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task ASecondFactorIsAskedForAndEachCodeWorksOnce()
    {
        using var admin = await SetUpAdminAsync();
        using var secretResponse = await admin.PostAsync("/api/account/totp/secret");
        var secret = (await secretResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        var now = DateTimeOffset.UtcNow;
        using (var bad = await admin.PostAsync("/api/account/totp", new { secret, code = "000000" == Code(secret, now) ? "111111" : "000000" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        using (var confirmed = await admin.PostAsync("/api/account/totp", new { secret, code = Code(secret, now) }))
        {
            Assert.Equal(HttpStatusCode.NoContent, confirmed.StatusCode);
        }
        Assert.True((await admin.SessionAsync()).GetProperty("totpEnabled").GetBoolean());

        using var other = BrowserSession.Open(hub);
        using (var needsCode = await other.PostAsync("/api/session/sign-in", new { name = "root", password = AdminPassword }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, needsCode.StatusCode);
            Assert.True((await needsCode.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("totpRequired").GetBoolean());
        }
        // The code used to confirm is spent; the next step's code is good once.
        using (var replay = await other.PostAsync("/api/session/sign-in", new { name = "root", password = AdminPassword, code = Code(secret, now) }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        }
        var next = Code(secret, now.AddSeconds(Totp.StepSeconds));
        await other.SignInAsync("root", AdminPassword, next);
        using var third = BrowserSession.Open(hub);
        using var reused = await third.PostAsync("/api/session/sign-in", new { name = "root", password = AdminPassword, code = next });
        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
    }

    private static string Code(string secret, DateTimeOffset at) => Totp.Code(Base32.Decode(secret)!, Totp.StepAt(at));

    [Fact]
    public async Task SignOutEverywhereEndsOtherSessionsAndTheirLiveConnections()
    {
        using var laptop = await SetUpAdminAsync();
        using var phone = BrowserSession.Open(hub);
        await phone.SignInAsync("root", AdminPassword);
        await using var live = hub.CreateViewer(phone.CookieHeader());
        await live.StartAsync().WithTimeout();
        var closed = new TaskCompletionSource();
        live.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        using var everywhere = await laptop.PostAsync("/api/session/sign-out-everywhere");
        Assert.Equal(HttpStatusCode.OK, everywhere.StatusCode);

        await closed.Task.WithTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, await phone.StatusOfAsync("/api/fleet"));
        Assert.Equal(HttpStatusCode.Unauthorized, await laptop.StatusOfAsync("/api/fleet"));
        await using var again = hub.CreateViewer(phone.CookieHeader());
        await Assert.ThrowsAsync<HttpRequestException>(() => again.StartAsync().WithTimeout());
    }

    [Fact]
    public async Task ANewPasswordEndsEveryOtherSession()
    {
        using var laptop = await SetUpAdminAsync();
        using var phone = BrowserSession.Open(hub);
        await phone.SignInAsync("root", AdminPassword);

        using var changed = await laptop.PostAsync("/api/account/password", new { current = AdminPassword, password = "a brand new passphrase" });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await phone.StatusOfAsync("/api/fleet"));
        Assert.Equal(HttpStatusCode.OK, await laptop.StatusOfAsync("/api/fleet"));
    }

    [Fact]
    public async Task ViewersReadButCannotAdminister()
    {
        using var admin = await SetUpAdminAsync();
        using var viewer = await UserAsync(admin, "alice", "viewer");

        Assert.Equal(HttpStatusCode.OK, await viewer.StatusOfAsync("/api/fleet"));
        Assert.Equal(HttpStatusCode.Forbidden, await viewer.StatusOfAsync("/api/admin/users"));
        Assert.Equal(HttpStatusCode.Forbidden, await viewer.StatusOfAsync("/api/admin/audit"));
        using var escalate = await viewer.PostAsync("/api/admin/users/alice", new { role = "admin" });
        Assert.Equal(HttpStatusCode.Forbidden, escalate.StatusCode);
        using var enroll = await viewer.PostAsync("/api/admin/enrollment-tokens", new { expiresInHours = 1 });
        Assert.Equal(HttpStatusCode.Forbidden, enroll.StatusCode);
    }

    [Fact]
    public async Task TheLastAdminCannotBeRemovedOrDemoted()
    {
        using var admin = await SetUpAdminAsync();
        using var demote = await admin.PostAsync("/api/admin/users/root", new { role = "viewer" });
        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
        using var delete = await admin.DeleteAsync("/api/admin/users/root");
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
    }

    [Fact]
    public async Task ADemotedAdminLosesAdminRightsAtOnce()
    {
        using var root = await SetUpAdminAsync();
        using var bob = await UserAsync(root, "bob", "admin");
        Assert.Equal(HttpStatusCode.OK, await bob.StatusOfAsync("/api/admin/users"));

        using var demoted = await root.PostAsync("/api/admin/users/bob", new { role = "viewer" });
        Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await bob.StatusOfAsync("/api/admin/users"));
        await bob.SignInAsync("bob", AdminPassword + "bob");
        Assert.Equal(HttpStatusCode.Forbidden, await bob.StatusOfAsync("/api/admin/users"));
    }

    [Fact]
    public async Task ApiTokensReadUntilRevokedAndNeverWrite()
    {
        using var admin = await SetUpAdminAsync();
        using var created = await admin.PostAsync("/api/admin/api-tokens", new { name = "prometheus" });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        var id = body.GetProperty("token").GetProperty("id").GetString()!;
        Assert.StartsWith("smk_" + id + "_", secret, StringComparison.Ordinal);

        using var script = hub.CreateClient();
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/metrics").WithTimeout()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/machines").WithTimeout()).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await script.GetAsync("/api/admin/users").WithTimeout()).StatusCode);
        await using var live = hub.CreateViewer(accessToken: secret);
        await live.StartAsync().WithTimeout();
        var closed = new TaskCompletionSource();
        live.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        using var revoked = await admin.DeleteAsync("/api/admin/api-tokens/" + id);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        await closed.Task.WithTimeout();
        using var after = await script.GetAsync("/metrics").WithTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("revoked", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var audit = await admin.Http.GetFromJsonAsync<AuditEntry[]>("/api/admin/audit").WithTimeout();
        Assert.Contains(audit!, e => e.Action == AuditActions.ApiTokenCreated && e.Target == id && e.Actor == "root");
        Assert.Contains(audit!, e => e.Action == AuditActions.ApiTokenRevoked && e.Target == id);
    }

    [Theory]
    [InlineData("smk_000000000000_forged")]
    [InlineData("not-even-a-token")]
    [InlineData("")]
    public async Task WrongTokensAreRefused(string token)
    {
        using var admin = await SetUpAdminAsync();
        using var script = hub.CreateClient();
        script.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/fleet").WithTimeout()).StatusCode);
    }

    [Fact]
    public async Task AnExpiredTokenIsRefused()
    {
        using var admin = await SetUpAdminAsync();
        var (_, secret) = await hub.Services.GetRequiredService<IApiTokenStore>()
            .CreateAsync("old", "root", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddSeconds(-1), []);
        using var script = hub.CreateClient();
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/fleet").WithTimeout()).StatusCode);
    }

    [Fact]
    public async Task AnAdminCreatesEnrollmentTokensAndTheAuditSaysWho()
    {
        using var admin = await SetUpAdminAsync();
        using var created = await admin.PostAsync("/api/admin/enrollment-tokens", new { expiresInHours = 2, note = "rack 4" });
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.True(await hub.Services.GetRequiredService<SysMon.Hub.Security.IAgentCredentialStore>().IsEnrollmentTokenAsync(secret));

        var audit = await admin.Http.GetFromJsonAsync<AuditEntry[]>("/api/admin/audit").WithTimeout();
        Assert.Equal([AuditActions.EnrollmentTokenCreated, AuditActions.Setup], audit!.Select(e => e.Action));
        Assert.NotNull(audit);
        Assert.Equal("root", audit![0].Actor);
        Assert.Equal("127.0.0.1", audit[0].Address);
        Assert.Contains("rack 4", audit[0].Detail, StringComparison.Ordinal);
    }
}
