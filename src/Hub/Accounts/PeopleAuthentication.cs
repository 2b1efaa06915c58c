using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using SysMon.Hub.Registry;
using SysMon.Hub.Security;

namespace SysMon.Hub.Accounts;

/// <summary>Claim types SysMon adds to a principal.</summary>
public static class SysMonClaims
{
    /// <summary>How the principal got in: <see cref="PrincipalKinds"/>.</summary>
    public const string Kind = "sysmon:kind";
    /// <summary>The user's security stamp when the cookie was issued.</summary>
    public const string Stamp = "sysmon:stamp";
    public const string TokenId = "sysmon:token";
    /// <summary>One per tag a restricted principal may see; none: every machine.</summary>
    public const string Tag = "sysmon:tag";
}

public static class PrincipalKinds
{
    public const string User = "user";
    public const string Token = "token";
    /// <summary>Nobody signed in: this host before the first user exists, or anyone under AllowUnauthenticatedNetwork.</summary>
    public const string Anonymous = "anonymous";
}

public static class Policies
{
    /// <summary>May read: any signed-in person, API token, or anonymous-but-allowed viewer.</summary>
    public const string Viewer = "viewer";
    /// <summary>May manage users, tokens, agents and rules.</summary>
    public const string Admin = "admin";
}

/// <summary>
/// The one scheme every request is authenticated with: an API token (<c>Authorization: Bearer smk_…</c>,
/// or <c>?access_token=</c> on the SignalR path, where browsers cannot set headers), else the session
/// cookie, else anonymous viewing where it is allowed (<see cref="LocalAccess"/>). Challenges answer
/// 401/403 with a problem body; the dashboard draws its own sign-in form, so nothing redirects.
/// </summary>
public sealed class PeopleAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IApiTokenStore tokens,
    FirstRun firstRun,
    IOptions<SecurityOptions> security,
    TimeProvider time) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "SysMon";
    public const string CookieScheme = "SysMon.Cookie";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken(Request) is { } bearer)
        {
            return await AuthenticateTokenAsync(bearer);
        }
        var cookie = await Context.AuthenticateAsync(CookieScheme);
        if (cookie.Succeeded)
        {
            return AuthenticateResult.Success(new AuthenticationTicket(cookie.Principal, cookie.Properties, SchemeName));
        }
        if (security.Value.AllowUnauthenticatedNetwork)
        {
            return Anonymous();
        }
        // With single sign-on configured, people sign in through the provider from the first run on.
        if (!security.Value.Oidc.Enabled && LocalAccess.IsFromThisHost(Context))
        {
            switch (await firstRun.HasUsersAsync())
            {
                case false:
                    return Anonymous();
                case null:
                    return AuthenticateResult.Fail(new CannotTellException("Cannot tell whether this hub has users yet (Redis unavailable); retry shortly."));
            }
        }
        return AuthenticateResult.NoResult();
    }

    private static AuthenticateResult Anonymous() => AuthenticateResult.Success(new AuthenticationTicket(Principals.Anonymous(), SchemeName));

    private async Task<AuthenticateResult> AuthenticateTokenAsync(string bearer)
    {
        if (!bearer.StartsWith(ApiTokenSecrets.Prefix, StringComparison.Ordinal))
        {
            return AuthenticateResult.Fail("Not a SysMon API token.");
        }
        ApiToken? token;
        try
        {
            token = await tokens.FindAsync(bearer);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            return AuthenticateResult.Fail(new CannotTellException("Cannot check API tokens right now (Redis unavailable); retry shortly."));
        }
        if (token is null || token.IsExpired(time.GetUtcNow()))
        {
            return AuthenticateResult.Fail("Unknown, expired or revoked API token.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(Principals.For(token), SchemeName));
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header[7..].Trim();
        }
        return request.Path.StartsWithSegments(Realtime.HubNames.Path) && request.Query["access_token"] is [{ Length: > 0 } query]
            ? query
            : null;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        if (failure is CannotTellException)
        {
            // Not "you may not": "cannot tell now", like every other answer of a hub whose Redis is down.
            Response.Headers.RetryAfter = "5";
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Registry unavailable", detail: failure.Message)
                .ExecuteAsync(Context);
            return;
        }
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in required",
            detail: failure?.Message ?? "Sign in to the dashboard, or send an API token as 'Authorization: Bearer smk_…'.").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed",
            detail: "Your role does not allow this.").ExecuteAsync(Context);
}

/// <summary>Who is asking cannot be told right now (the store is unreachable): answered 503, not 401.</summary>
public sealed class CannotTellException(string message) : Exception(message);

/// <summary>The principals SysMon issues.</summary>
public static class Principals
{
    private const string AuthenticationType = "SysMon";

    public static ClaimsPrincipal For(UserAccount user) => Build(user.Name, user.Role, PrincipalKinds.User, user.Tags,
        new Claim(SysMonClaims.Stamp, user.SecurityStamp));

    /// <summary>API tokens are read-only whoever made them.</summary>
    public static ClaimsPrincipal For(ApiToken token) => Build("token:" + token.Id, Role.Viewer, PrincipalKinds.Token, token.Tags,
        new Claim(SysMonClaims.TokenId, token.Id));

    public static ClaimsPrincipal Anonymous() => Build("anonymous", Role.Viewer, PrincipalKinds.Anonymous, []);

    private static ClaimsPrincipal Build(string name, Role role, string kind, string[] tags, params Claim[] extra)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, name),
            new(ClaimTypes.Role, role == Role.Admin ? Policies.Admin : Policies.Viewer),
            new(SysMonClaims.Kind, kind),
        };
        claims.AddRange(tags.Select(tag => new Claim(SysMonClaims.Tag, tag)));
        claims.AddRange(extra);
        return new ClaimsPrincipal(new ClaimsIdentity(claims, AuthenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static string Kind(this ClaimsPrincipal principal) => principal.FindFirstValue(SysMonClaims.Kind) ?? "";

    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(Policies.Admin);

    /// <summary>Empty: may see every machine.</summary>
    public static string[] Tags(this ClaimsPrincipal principal) => [.. principal.FindAll(SysMonClaims.Tag).Select(c => c.Value)];

    /// <summary>Which <see cref="SessionRevocations"/> subject ends this principal's live connections.</summary>
    public static string RevocationSubject(this ClaimsPrincipal principal) => principal.Kind() switch
    {
        PrincipalKinds.User => SessionRevocations.User(principal.Identity!.Name!),
        PrincipalKinds.Token => SessionRevocations.Token(principal.FindFirstValue(SysMonClaims.TokenId)!),
        _ => SessionRevocations.AnonymousLocal,
    };
}

/// <summary>Wiring of people's authentication and authorization (docs/security.md, "People").</summary>
public static class PeopleAuthenticationExtensions
{
    public static WebApplicationBuilder AddPeopleAuthentication(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var security = builder.Configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions();
        services.AddSingleton<FirstRun>();
        services.AddSingleton<ViewerSessions>();
        services.AddHostedService<FirstRunNotice>();
        services.AddAuthentication(PeopleAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, PeopleAuthenticationHandler>(PeopleAuthenticationHandler.SchemeName, null)
            .AddCookie(PeopleAuthenticationHandler.CookieScheme, cookie =>
            {
                cookie.Cookie.Name = "sysmon_session";
                cookie.Cookie.HttpOnly = true;
                // Strict: no other site can make the browser send it, for a form post, a fetch or a WebSocket.
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = security.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(security.SessionHours);
                cookie.SlidingExpiration = true;
                cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
                cookie.Events.OnRedirectToLogin = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                };
                cookie.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            })
            .AddSingleSignOn(security);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Viewer, policy => policy.RequireAuthenticatedUser().RequireRole(Policies.Viewer, Policies.Admin))
            .AddPolicy(Policies.Admin, policy => policy.RequireAuthenticatedUser().RequireRole(Policies.Admin))
            // Anything mapped without a policy of its own needs a viewer: new endpoints are closed by default.
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(PeopleAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireRole(Policies.Viewer, Policies.Admin).Build());
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = Antiforgery.HeaderName;
            antiforgery.Cookie.Name = "sysmon_csrf";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = security.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });
        return builder;
    }

    /// <summary>
    /// Every request with a session cookie re-reads its user: a deleted user or a changed stamp (sign out
    /// everywhere, new password) ends the session; a changed role or tag list applies at once. While Redis
    /// is down the cookie's own signature and expiry stand alone, so a Redis outage signs nobody out.
    /// </summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var name = context.Principal?.Identity?.Name;
        var stamp = context.Principal?.FindFirstValue(SysMonClaims.Stamp);
        if (name is null || stamp is null)
        {
            context.RejectPrincipal();
            return;
        }
        UserAccount? user;
        try
        {
            user = await context.HttpContext.RequestServices.GetRequiredService<IUserStore>().GetAsync(name);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            return;
        }
        if (user is null || !string.Equals(user.SecurityStamp, stamp, StringComparison.Ordinal))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(PeopleAuthenticationHandler.CookieScheme);
            return;
        }
        context.ReplacePrincipal(Principals.For(user));
    }
}
