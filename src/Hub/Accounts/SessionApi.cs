using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SysMon.Hub.Registry;
using SysMon.Hub.Security;

namespace SysMon.Hub.Accounts;

/// <summary>What the dashboard needs to know about who is looking (GET /api/session).</summary>
/// <param name="Kind">"user", "token", "anonymous" (allowed without sign-in) or "none" (must sign in).</param>
/// <param name="SetupAvailable">This host may create the first admin (no user exists yet).</param>
public sealed record SessionDto(string Kind, string? Name, string? Role, bool SetupAvailable, bool TotpEnabled, string? SingleSignOn, string CsrfToken);

public sealed record SignInRequest(string? Name, string? Password, string? Code);

public sealed record SetupRequest(string? SetupCode, string? Name, string? Password);

public sealed record PasswordChange(string? Current, string? Password);

public sealed record TotpConfirm(string? Secret, string? Code);

public sealed record TotpDisable(string? Password);

/// <summary>Signing in and out, first-run setup, and a person's own account (docs/security.md, "People").</summary>
public static class SessionApi
{
    public const string SignInRateLimit = "sign-in";

    public static IServiceCollection AddSignInRateLimit(this IServiceCollection services, SecurityOptions security) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Per client address, whatever names it tries: password spraying meets this, one name's guessing meets the lockout.
            limiter.AddPolicy(SignInRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, security.SignInAttemptsPerMinute), Window = TimeSpan.FromMinutes(1) }));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many attempts",
                    detail: "Too many sign-in attempts from your address; wait a minute.").ExecuteAsync(context.HttpContext);
            };
        });

    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder endpoints)
    {
        var app = endpoints.MapGroup("").AddEndpointFilter(RedisOutageFilter.AsServiceUnavailable);
        app.MapGet("/api/session", SessionAsync).AllowAnonymous();
        app.MapGet("/api/session/sso", SingleSignOn.Challenge).AllowAnonymous();
        app.MapPost("/api/session/sign-in", SignInAsync).AllowAnonymous().RequireAntiforgeryHeader().RequireRateLimiting(SignInRateLimit);
        app.MapPost("/api/session/sign-out", SignOutAsync).AllowAnonymous().RequireAntiforgeryHeader();
        app.MapPost("/api/session/sign-out-everywhere", SignOutEverywhereAsync).RequireAntiforgeryHeader();
        app.MapPost("/api/setup", SetupAsync).AllowAnonymous().RequireAntiforgeryHeader().RequireRateLimiting(SignInRateLimit);
        var account = app.MapGroup("/api/account").RequireAntiforgeryHeader();
        account.MapPost("/password", ChangePasswordAsync);
        account.MapPost("/totp/secret", (HttpContext context) => Results.Ok(NewTotpSecret(context)));
        account.MapPost("/totp", ConfirmTotpAsync);
        account.MapPost("/totp/disable", DisableTotpAsync);
        return endpoints;
    }

    private static async Task<SessionDto> DescribeAsync(HttpContext context, FirstRun firstRun, IUserStore users)
    {
        var oidc = context.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.Oidc;
        var principal = context.User;
        var kind = principal.Identity?.IsAuthenticated == true ? principal.Kind() : "none";
        var totp = false;
        if (kind == PrincipalKinds.User)
        {
            totp = (await users.GetAsync(principal.Identity!.Name!))?.TotpSecret is not null;
        }
        var setup = LocalAccess.IsFromThisHost(context) && await firstRun.HasUsersAsync() == false;
        return new SessionDto(kind, kind == "none" ? null : principal.Identity!.Name, kind == "none" ? null : principal.IsAdmin() ? "admin" : "viewer",
            setup, totp, oidc.Enabled ? oidc.DisplayName : null, Antiforgery.IssueToken(context));
    }

    private static Task<SessionDto> SessionAsync(HttpContext context, FirstRun firstRun, IUserStore users) =>
        DescribeAsync(context, firstRun, users);

    private static async Task<IResult> SignInAsync(SignInRequest request, HttpContext context, IUserStore users, FirstRun firstRun,
        AccountAudit audit, IOptions<SecurityOptions> options, TimeProvider time)
    {
        var security = options.Value;
        var name = AccountRules.Normalize(request.Name ?? "");
        var wrong = Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong name or password");
        if (!AccountRules.IsValidName(name) || string.IsNullOrEmpty(request.Password) || request.Password.Length > AccountRules.MaxPasswordLength)
        {
            return wrong;
        }
        if (await users.LockedForAsync(name) is { } locked)
        {
            // Same answer whether or not the name exists; the hash is not even tried, so guessing stops here.
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Locked",
                detail: $"Too many failed sign-ins for this name. Try again in {Math.Ceiling(locked.TotalMinutes):0} min, or ask an admin to unlock it.");
        }
        var user = await users.GetAsync(name);
        var (ok, rehashed) = Passwords.Verify(user, request.Password);
        if (!ok)
        {
            await CountFailureAsync(name, context, users, audit, security, "wrong password");
            return wrong;
        }
        if (user!.TotpSecret is { } secret)
        {
            if (string.IsNullOrWhiteSpace(request.Code))
            {
                return Results.Json(new { title = "Code required", detail = "Enter the code from your authenticator app.", totpRequired = true },
                    statusCode: StatusCodes.Status401Unauthorized);
            }
            if (Totp.Verify(secret, request.Code, time.GetUtcNow(), user.LastTotpStep) is not { } step)
            {
                await CountFailureAsync(name, context, users, audit, security, "wrong code");
                return Results.Json(new { title = "Wrong code", detail = "That code is wrong or was used already.", totpRequired = true },
                    statusCode: StatusCodes.Status401Unauthorized);
            }
            user = user with { LastTotpStep = step };
        }
        if (rehashed is not null)
        {
            user = user with { PasswordHash = rehashed };
        }
        if (user.TotpSecret is not null || rehashed is not null)
        {
            await users.SaveAsync(user);
        }
        await users.ClearFailuresAsync(name);
        await IssueSessionAsync(context, user);
        await audit.RecordAsync(context, AuditActions.SignIn, actor: user.Name);
        return Results.Ok(await DescribeAsync(context, firstRun, users));
    }

    private static async Task CountFailureAsync(string name, HttpContext context, IUserStore users, AccountAudit audit, SecurityOptions security, string why)
    {
        var window = TimeSpan.FromMinutes(security.LockoutMinutes);
        var failures = await users.CountFailureAsync(name, window);
        await audit.RecordAsync(context, AuditActions.SignInFailed, name, why, actor: name);
        if (failures >= security.MaxFailedSignIns)
        {
            await users.LockAsync(name, window);
            await users.ClearFailuresAsync(name);
            await audit.RecordAsync(context, AuditActions.LockedOut, name, $"{failures} failed sign-ins; locked for {security.LockoutMinutes:0.#} min", actor: name);
        }
    }

    /// <summary>Issues the session cookie and makes the principal current, so the anti-forgery token issued next is bound to it.</summary>
    internal static async Task IssueSessionAsync(HttpContext context, UserAccount user)
    {
        var principal = Principals.For(user);
        await context.SignInAsync(PeopleAuthenticationHandler.CookieScheme, principal);
        context.User = principal;
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, AccountAudit audit, FirstRun firstRun, IUserStore users)
    {
        var wasUser = context.User.Kind() == PrincipalKinds.User;
        await context.SignOutAsync(PeopleAuthenticationHandler.CookieScheme);
        if (wasUser)
        {
            await audit.RecordAsync(context, AuditActions.SignOut);
        }
        context.User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity());
        return Results.Ok(await DescribeAsync(context, firstRun, users));
    }

    /// <summary>A new security stamp ends every session of the user, on every hub: cookies at their next request, live connections now.</summary>
    private static async Task<IResult> SignOutEverywhereAsync(HttpContext context, IUserStore users, SessionRevocations revocations, AccountAudit audit, FirstRun firstRun)
    {
        if (await CurrentUserAsync(context, users) is not { } user)
        {
            return NotAUser();
        }
        await users.SaveAsync(user with { SecurityStamp = UserAccount.NewStamp() });
        await revocations.PublishAsync(SessionRevocations.User(user.Name));
        await context.SignOutAsync(PeopleAuthenticationHandler.CookieScheme);
        await audit.RecordAsync(context, AuditActions.SignOutEverywhere, user.Name);
        context.User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity());
        return Results.Ok(await DescribeAsync(context, firstRun, users));
    }

    private static async Task<IResult> SetupAsync(SetupRequest request, HttpContext context, IUserStore users, FirstRun firstRun,
        SessionRevocations revocations, AccountAudit audit, TimeProvider time)
    {
        if (!LocalAccess.IsFromThisHost(context) || await firstRun.HasUsersAsync() != false)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Setup is over",
                detail: "The first admin can be created only from the hub's own host, and only while no user exists.");
        }
        if (!firstRun.IsSetupCode(request.SetupCode))
        {
            await audit.RecordAsync(context, AuditActions.SignInFailed, "setup", "wrong setup code", actor: "local");
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong setup code",
                detail: "The setup code is in the hub's log, in the line that starts with 'No users yet'.");
        }
        var name = AccountRules.Normalize(request.Name ?? "");
        if (NewUserProblem(name, request.Password) is { } problem)
        {
            return problem;
        }
        var admin = new UserAccount
        {
            Name = name, Role = Role.Admin, PasswordHash = Passwords.Hash(request.Password!),
            SecurityStamp = UserAccount.NewStamp(), CreatedAt = time.GetUtcNow(),
        };
        if (!await users.CreateAsync(admin, onlyIfNone: true))
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Setup is over", detail: "Another admin was created meanwhile.");
        }
        firstRun.UsersExist();
        // Anonymous viewers of this host (other tabs, other local users) now need to sign in too.
        await revocations.PublishAsync(SessionRevocations.AnonymousLocal);
        await audit.RecordAsync(context, AuditActions.Setup, name, "first admin created", actor: "local");
        await IssueSessionAsync(context, admin);
        return Results.Ok(await DescribeAsync(context, firstRun, users));
    }

    /// <summary>A 400 for an invalid name or password, else null.</summary>
    internal static IResult? NewUserProblem(string name, string? password)
    {
        if (!AccountRules.IsValidName(name))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid name", detail: $"User names {AccountRules.NameRule}.");
        }
        return AccountRules.PasswordProblem(password, name) is { } weak
            ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Weak password", detail: weak)
            : null;
    }

    private static async Task<IResult> ChangePasswordAsync(PasswordChange request, HttpContext context, IUserStore users,
        SessionRevocations revocations, AccountAudit audit, IOptions<SecurityOptions> options)
    {
        if (await CurrentUserAsync(context, users) is not { Source: UserSources.Local } user)
        {
            return NotAUser();
        }
        if (!Passwords.Verify(user, request.Current ?? "").Ok)
        {
            await CountFailureAsync(user.Name, context, users, audit, options.Value, "wrong current password");
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Wrong current password");
        }
        if (AccountRules.PasswordProblem(request.Password, user.Name) is { } weak)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Weak password", detail: weak);
        }
        // A new password ends every other session (whoever knew the old one is out); this one carries on.
        var changed = user with { PasswordHash = Passwords.Hash(request.Password!), SecurityStamp = UserAccount.NewStamp() };
        await users.SaveAsync(changed);
        await revocations.PublishAsync(SessionRevocations.User(user.Name));
        await IssueSessionAsync(context, changed);
        await audit.RecordAsync(context, AuditActions.PasswordChanged, user.Name);
        return Results.NoContent();
    }

    private static object NewTotpSecret(HttpContext context)
    {
        var secret = Totp.NewSecret();
        return new { secret, uri = Totp.Uri(secret, context.User.Identity?.Name ?? "") };
    }

    private static async Task<IResult> ConfirmTotpAsync(TotpConfirm request, HttpContext context, IUserStore users, AccountAudit audit, TimeProvider time)
    {
        if (await CurrentUserAsync(context, users) is not { } user)
        {
            return NotAUser();
        }
        if (request.Secret is not { Length: >= 16 and <= 128 } secret || Base32.Decode(secret) is not { Length: >= 10 })
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid secret");
        }
        if (Totp.Verify(secret, request.Code, time.GetUtcNow(), 0) is not { } step)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Wrong code",
                detail: "The code does not match: check the authenticator app's clock and try the next code.");
        }
        await users.SaveAsync(user with { TotpSecret = secret.ToUpperInvariant(), LastTotpStep = step });
        await audit.RecordAsync(context, AuditActions.TotpEnabled, user.Name);
        return Results.NoContent();
    }

    private static async Task<IResult> DisableTotpAsync(TotpDisable request, HttpContext context, IUserStore users, AccountAudit audit, IOptions<SecurityOptions> options)
    {
        if (await CurrentUserAsync(context, users) is not { } user)
        {
            return NotAUser();
        }
        if (!Passwords.Verify(user, request.Password ?? "").Ok)
        {
            await CountFailureAsync(user.Name, context, users, audit, options.Value, "wrong password to disable TOTP");
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Wrong password");
        }
        await users.SaveAsync(user with { TotpSecret = null, LastTotpStep = 0 });
        await audit.RecordAsync(context, AuditActions.TotpDisabled, user.Name);
        return Results.NoContent();
    }

    private static async Task<UserAccount?> CurrentUserAsync(HttpContext context, IUserStore users) =>
        context.User.Kind() == PrincipalKinds.User ? await users.GetAsync(context.User.Identity!.Name!) : null;

    private static IResult NotAUser() => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a signed-in user",
        detail: "Only a person signed in with a password can do this.");
}
