using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using SysMon.Hub.Security;

namespace SysMon.Hub.Accounts;

/// <summary>Single sign-on through an OpenID Connect provider (Keycloak, Entra ID, Okta, Google, Authentik…), bound from <c>Security:Oidc</c>.</summary>
public sealed class OidcOptions
{
    /// <summary>The provider's issuer URL (its discovery document is at /.well-known/openid-configuration below it).</summary>
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>What the sign-in button says: "Sign in with …".</summary>
    public string DisplayName { get; set; } = "single sign-on";
    public string[] Scopes { get; set; } = ["openid", "profile", "email"];
    /// <summary>The claim that becomes the SysMon user name (then "email", then "sub").</summary>
    public string NameClaim { get; set; } = "preferred_username";
    /// <summary>The claim whose values decide the role, e.g. "groups" or "roles".</summary>
    public string RoleClaim { get; set; } = "groups";
    /// <summary>Values of <see cref="RoleClaim"/> that make an admin.</summary>
    public string[] AdminValues { get; set; } = [];
    /// <summary>Values of <see cref="RoleClaim"/> that may sign in as viewers; empty: anyone the provider signs in.</summary>
    public string[] ViewerValues { get; set; } = [];
    /// <summary>A claim whose values become the user's machine tags at every sign-in; unset: admins set tags on the Admin page.</summary>
    public string? TagsClaim { get; set; }
    /// <summary>Off only for a provider on plain HTTP in a lab (and the tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);
}

/// <summary>
/// Turns a person the provider vouches for into a SysMon user, so that everything else (roles, tags,
/// sessions ended everywhere, the audit log) works the same for them. Their role follows the provider
/// at every sign-in. A local account of the same name is never taken over.
/// </summary>
public static class SingleSignOn
{
    public const string Scheme = "SysMon.Oidc";
    public const string CallbackPath = "/signin-oidc";

    public static AuthenticationBuilder AddSingleSignOn(this AuthenticationBuilder authentication, SecurityOptions security)
    {
        var oidc = security.Oidc;
        if (!oidc.Enabled)
        {
            return authentication;
        }
        return authentication.AddOpenIdConnect(Scheme, options =>
        {
            options.Authority = oidc.Authority;
            options.ClientId = oidc.ClientId;
            options.ClientSecret = oidc.ClientSecret;
            options.ResponseType = "code";
            options.UsePkce = true;
            options.Scope.Clear();
            foreach (var scope in oidc.Scopes)
            {
                options.Scope.Add(scope);
            }
            options.MapInboundClaims = false; // keep the provider's claim names, which the settings refer to
            options.SaveTokens = false;
            options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
            options.CallbackPath = CallbackPath;
            options.SignInScheme = PeopleAuthenticationHandler.CookieScheme;
            // The provider redirects back with a top-level GET from its own site: Lax lets these two cookies come along.
            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
            var secure = security.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            options.CorrelationCookie.SecurePolicy = secure;
            options.NonceCookie.SecurePolicy = secure;
            options.Events.OnTokenValidated = async context =>
            {
                var (user, refusal) = await AcceptAsync(context.HttpContext, context.Principal!, oidc);
                if (user is null)
                {
                    context.Fail(refusal!);
                    return;
                }
                context.Principal = Principals.For(user);
            };
            options.Events.OnRemoteFailure = context =>
            {
                // Back to the dashboard, which shows why on its sign-in form, instead of an exception page.
                context.Response.Redirect("/?sso_error=" + Uri.EscapeDataString(context.Failure?.Message ?? "Single sign-on failed."));
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    /// <summary>The SysMon name for a provider's claims: lower case, characters outside the name rule replaced by '-'. Pure.</summary>
    public static string? NameFrom(ClaimsPrincipal external, string nameClaim)
    {
        var raw = new[] { nameClaim, "email", "sub" }.Select(type => external.FindFirst(type)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        if (raw is null)
        {
            return null;
        }
        var name = new string([.. AccountRules.Normalize(raw).Select(c => AccountRules.IsValidName(c.ToString()) ? c : '-')]);
        return name.Length > 64 ? name[..64] : name;
    }

    /// <summary>Pure: the role <paramref name="values"/> give, or null when they do not allow signing in.</summary>
    public static Role? RoleFrom(IReadOnlyCollection<string> values, OidcOptions oidc)
    {
        if (oidc.AdminValues.Any(values.Contains))
        {
            return Role.Admin;
        }
        return oidc.ViewerValues.Length == 0 || oidc.ViewerValues.Any(values.Contains) ? Role.Viewer : null;
    }

    private static async Task<(UserAccount? User, string? Refusal)> AcceptAsync(HttpContext context, ClaimsPrincipal external, OidcOptions oidc)
    {
        var services = context.RequestServices;
        var users = services.GetRequiredService<IUserStore>();
        var audit = services.GetRequiredService<AccountAudit>();
        var name = NameFrom(external, oidc.NameClaim);
        if (name is null || !AccountRules.IsValidName(name))
        {
            return (null, "The provider sent no usable name (claims " + oidc.NameClaim + ", email, sub).");
        }
        var values = external.FindAll(oidc.RoleClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        if (RoleFrom(values, oidc) is not { } role)
        {
            await audit.RecordAsync(context, AuditActions.SignInFailed, name, "single sign-on: no allowed group", actor: name);
            return (null, $"'{name}' is not in a group allowed to use SysMon.");
        }
        var existing = await users.GetAsync(name);
        if (existing is { Source: UserSources.Local })
        {
            await audit.RecordAsync(context, AuditActions.SignInFailed, name, "single sign-on: a local account has this name", actor: name);
            return (null, $"A local SysMon account is named '{name}'; single sign-on does not take it over.");
        }
        var tags = oidc.TagsClaim is { Length: > 0 } tagsClaim
            ? AdminApi.CleanTags([.. external.FindAll(tagsClaim).Select(c => c.Value)]) ?? []
            : existing?.Tags ?? [];
        var time = services.GetRequiredService<TimeProvider>();
        UserAccount user;
        if (existing is null)
        {
            user = new UserAccount
            {
                Name = name, Role = role, Source = UserSources.Oidc, SecurityStamp = UserAccount.NewStamp(), Tags = tags, CreatedAt = time.GetUtcNow(),
            };
            if (!await users.CreateAsync(user))
            {
                return (null, "Could not create the user; try again.");
            }
            await audit.RecordAsync(context, AuditActions.UserCreated, name, $"single sign-on; role {role.ToString().ToLowerInvariant()}", actor: name);
            var firstRun = services.GetRequiredService<FirstRun>();
            firstRun.UsersExist();
        }
        else
        {
            user = existing;
            if (existing.Role != role || !existing.Tags.SequenceEqual(tags))
            {
                // The provider changed their groups: other sessions end, so none keeps the old role or tags.
                user = existing with { Role = role, Tags = tags, SecurityStamp = UserAccount.NewStamp() };
                await users.SaveAsync(user);
                await services.GetRequiredService<SessionRevocations>().PublishAsync(SessionRevocations.User(name));
                await audit.RecordAsync(context, AuditActions.UserChanged, name, $"single sign-on: role {role.ToString().ToLowerInvariant()}", actor: name);
            }
        }
        await audit.RecordAsync(context, AuditActions.SignIn, detail: "single sign-on", actor: name);
        return (user, null);
    }

    /// <summary>GET /api/session/sso: off to the provider, and back to the dashboard.</summary>
    public static IResult Challenge(IOptions<SecurityOptions> security) => security.Value.Oidc.Enabled
        ? Results.Challenge(new AuthenticationProperties { RedirectUri = "/" }, [Scheme])
        : Results.Problem(statusCode: 404, title: "No single sign-on", detail: "This hub has no Security:Oidc settings.");
}
