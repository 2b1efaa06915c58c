using SysMon.Protocol;
using SysMon.Hub.Registry;
using SysMon.Hub.Security;

namespace SysMon.Hub.Accounts;

public sealed record UserDto(string Name, string Role, string[] Tags, string Source, bool Totp, DateTimeOffset CreatedAt)
{
    public static UserDto From(UserAccount user) =>
        new(user.Name, user.Role == Accounts.Role.Admin ? "admin" : "viewer", user.Tags, user.Source, user.TotpSecret is not null, user.CreatedAt);
}

public sealed record NewUser(string? Name, string? Role, string? Password, string[]? Tags);

public sealed record UserChange(string? Role, string? Password, string[]? Tags);

public sealed record ApiTokenDto(string Id, string Name, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string[] Tags)
{
    public static ApiTokenDto From(ApiToken token) => new(token.Id, token.Name, token.CreatedBy, token.CreatedAt, token.ExpiresAt, token.Tags);
}

/// <param name="Tags">Restricts the token to machines with one of these tags; none: the creator's own restriction.</param>
public sealed record NewApiToken(string? Name, double? ExpiresInDays, string[]? Tags = null);

public sealed record NewEnrollmentToken(double? ExpiresInHours, string? Note);

/// <summary>What only admins do: users, API tokens, agent enrollment and revocation, the audit log.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(Policies.Admin).AddEndpointFilter(RedisOutageFilter.AsServiceUnavailable);
        admin.MapGet("/users", async (IUserStore users) => (await users.ListAsync()).Select(UserDto.From));
        admin.MapPost("/users", CreateUserAsync).RequireAntiforgeryHeader();
        admin.MapPost("/users/{name}", ChangeUserAsync).RequireAntiforgeryHeader();
        admin.MapDelete("/users/{name}", DeleteUserAsync).RequireAntiforgeryHeader();
        admin.MapPost("/users/{name}/sign-out", SignOutUserAsync).RequireAntiforgeryHeader();
        admin.MapGet("/api-tokens", async (IApiTokenStore tokens) => (await tokens.ListAsync()).Select(ApiTokenDto.From));
        admin.MapPost("/api-tokens", CreateApiTokenAsync).RequireAntiforgeryHeader();
        admin.MapDelete("/api-tokens/{id}", RevokeApiTokenAsync).RequireAntiforgeryHeader();
        admin.MapPost("/enrollment-tokens", CreateEnrollmentTokenAsync).RequireAntiforgeryHeader();
        admin.MapDelete("/agents/{machineId}/credential", RevokeAgentAsync).RequireAntiforgeryHeader();
        admin.MapGet("/audit", async (IAuditLog log, int? limit) => await log.ReadAsync(Math.Clamp(limit ?? 200, 1, IAuditLog.Capacity)));
        return app;
    }

    private static Role? ParseRole(string? role) => role?.ToLowerInvariant() switch
    {
        "admin" => Role.Admin,
        "viewer" => Role.Viewer,
        _ => null,
    };

    /// <summary>Tags as machines carry them (lower case, trimmed, no duplicates), or null when one is invalid. Pure.</summary>
    public static string[]? CleanTags(string[]? tags)
    {
        var cleaned = MachineTags.Normalize(tags ?? []);
        return MachineTags.Problem(cleaned) is null ? cleaned : null;
    }

    private static IResult InvalidTags() => Results.Problem(statusCode: 400, title: "Invalid tags", detail: $"Tags: {MachineTags.Rule}.");

    private static async Task<IResult> CreateUserAsync(NewUser request, HttpContext context, IUserStore users, AccountAudit audit, TimeProvider time)
    {
        var name = AccountRules.Normalize(request.Name ?? "");
        if (SessionApi.NewUserProblem(name, request.Password) is { } problem)
        {
            return problem;
        }
        if (ParseRole(request.Role) is not { } role)
        {
            return Results.Problem(statusCode: 400, title: "Invalid role", detail: "Roles are 'admin' and 'viewer'.");
        }
        if (CleanTags(request.Tags) is not { } tags)
        {
            return InvalidTags();
        }
        var user = new UserAccount
        {
            Name = name, Role = role, PasswordHash = Passwords.Hash(request.Password!), SecurityStamp = UserAccount.NewStamp(),
            Tags = tags, CreatedAt = time.GetUtcNow(),
        };
        if (!await users.CreateAsync(user))
        {
            return Results.Problem(statusCode: 409, title: "Name taken", detail: $"A user named '{name}' exists.");
        }
        await audit.RecordAsync(context, AuditActions.UserCreated, name, $"role {request.Role!.ToLowerInvariant()}{TagsNote(tags)}");
        return Results.Created($"/api/admin/users/{name}", UserDto.From(user));
    }

    /// <summary>
    /// Role, tags and password. A new password or a lower role ends the user's sessions everywhere; so does a
    /// narrower tag list, since live connections hold subscriptions made under the old one.
    /// </summary>
    private static async Task<IResult> ChangeUserAsync(string name, UserChange request, HttpContext context, IUserStore users,
        SessionRevocations revocations, AccountAudit audit)
    {
        if (await users.GetAsync(AccountRules.Normalize(name)) is not { } user)
        {
            return UnknownUser(name);
        }
        var changed = user;
        var notes = new List<string>();
        if (request.Role is not null)
        {
            if (ParseRole(request.Role) is not { } role)
            {
                return Results.Problem(statusCode: 400, title: "Invalid role", detail: "Roles are 'admin' and 'viewer'.");
            }
            if (user.Role == Role.Admin && role != Role.Admin && await IsLastAdminAsync(users, user))
            {
                return LastAdmin();
            }
            changed = changed with { Role = role };
            notes.Add($"role {request.Role.ToLowerInvariant()}");
        }
        if (request.Tags is not null)
        {
            if (CleanTags(request.Tags) is not { } tags)
            {
                return InvalidTags();
            }
            changed = changed with { Tags = tags };
            notes.Add(tags.Length == 0 ? "all machines" : "tags " + string.Join(",", tags));
        }
        if (request.Password is not null)
        {
            if (AccountRules.PasswordProblem(request.Password, user.Name) is { } weak)
            {
                return Results.Problem(statusCode: 400, title: "Weak password", detail: weak);
            }
            changed = changed with { PasswordHash = Passwords.Hash(request.Password), Source = UserSources.Local };
            notes.Add("password reset");
        }
        await users.SaveAsync(changed with { SecurityStamp = UserAccount.NewStamp() });
        await users.ClearFailuresAsync(user.Name);
        await revocations.PublishAsync(SessionRevocations.User(user.Name));
        await audit.RecordAsync(context, AuditActions.UserChanged, user.Name, string.Join("; ", notes));
        return Results.Ok(UserDto.From(changed));
    }

    private static async Task<IResult> DeleteUserAsync(string name, HttpContext context, IUserStore users, SessionRevocations revocations, AccountAudit audit)
    {
        if (await users.GetAsync(AccountRules.Normalize(name)) is not { } user)
        {
            return UnknownUser(name);
        }
        if (user.Role == Role.Admin && await IsLastAdminAsync(users, user))
        {
            return LastAdmin();
        }
        await users.DeleteAsync(user.Name);
        await revocations.PublishAsync(SessionRevocations.User(user.Name));
        await audit.RecordAsync(context, AuditActions.UserDeleted, user.Name);
        return Results.NoContent();
    }

    private static async Task<IResult> SignOutUserAsync(string name, HttpContext context, IUserStore users, SessionRevocations revocations, AccountAudit audit)
    {
        if (await users.GetAsync(AccountRules.Normalize(name)) is not { } user)
        {
            return UnknownUser(name);
        }
        await users.SaveAsync(user with { SecurityStamp = UserAccount.NewStamp() });
        await users.ClearFailuresAsync(user.Name);
        await users.UnlockAsync(user.Name);
        await revocations.PublishAsync(SessionRevocations.User(user.Name));
        await audit.RecordAsync(context, AuditActions.SignOutEverywhere, user.Name, "by an admin; lockout lifted");
        return Results.NoContent();
    }

    private static async Task<bool> IsLastAdminAsync(IUserStore users, UserAccount user) =>
        !(await users.ListAsync()).Any(other => other.Role == Role.Admin && other.Name != user.Name);

    private static IResult LastAdmin() => Results.Problem(statusCode: 409, title: "Last admin",
        detail: "This is the only admin: make another user an admin first.");

    private static IResult UnknownUser(string name) => Results.Problem(statusCode: 404, title: "Unknown user", detail: $"No user named '{name}'.");

    private static string TagsNote(string[] tags) => tags.Length == 0 ? "" : "; tags " + string.Join(",", tags);

    private static async Task<IResult> CreateApiTokenAsync(NewApiToken request, HttpContext context, IApiTokenStore tokens, AccountAudit audit, TimeProvider time)
    {
        var name = (request.Name ?? "").Trim();
        if (name.Length is 0 or > 100 || name.Any(char.IsControl))
        {
            return Results.Problem(statusCode: 400, title: "Invalid name", detail: "Name the token after what uses it (1 to 100 characters), e.g. 'prometheus'.");
        }
        if (request.ExpiresInDays is { } days && !(days > 0 && days <= 3660))
        {
            return Results.Problem(statusCode: 400, title: "Invalid expiry", detail: "Expiry is 0 to 3660 days; leave it out for a token that lasts until revoked.");
        }
        if (CleanTags(request.Tags) is not { } tags)
        {
            return InvalidTags();
        }
        var now = time.GetUtcNow();
        var (token, secret) = await tokens.CreateAsync(name, context.User.Identity!.Name!, now,
            request.ExpiresInDays is { } d ? now.AddDays(d) : null, tags.Length > 0 ? tags : context.User.Tags());
        await audit.RecordAsync(context, AuditActions.ApiTokenCreated, token.Id, name);
        return Results.Ok(new { token = ApiTokenDto.From(token), secret });
    }

    private static async Task<IResult> RevokeApiTokenAsync(string id, HttpContext context, IApiTokenStore tokens, SessionRevocations revocations, AccountAudit audit)
    {
        if (await tokens.RevokeAsync(id) is not { } token)
        {
            return Results.Problem(statusCode: 404, title: "Unknown token", detail: $"No API token with id '{id}'.");
        }
        await revocations.PublishAsync(SessionRevocations.Token(id));
        await audit.RecordAsync(context, AuditActions.ApiTokenRevoked, id, token.Name);
        return Results.NoContent();
    }

    private static async Task<IResult> CreateEnrollmentTokenAsync(NewEnrollmentToken request, HttpContext context, IAgentCredentialStore credentials,
        AccountAudit audit, TimeProvider time)
    {
        var hours = request.ExpiresInHours ?? 24;
        if (!(hours > 0 && hours <= 24 * 30))
        {
            return Results.Problem(statusCode: 400, title: "Invalid expiry", detail: "Enrollment tokens last up to 30 days (720 h).");
        }
        var note = (request.Note ?? "").Trim();
        if (note.Length > 200 || note.Any(char.IsControl))
        {
            return Results.Problem(statusCode: 400, title: "Invalid note", detail: "Notes are up to 200 characters, without control characters.");
        }
        var secret = await credentials.CreateEnrollmentTokenAsync(TimeSpan.FromHours(hours), note);
        var expiresAt = time.GetUtcNow().AddHours(hours);
        await audit.RecordAsync(context, AuditActions.EnrollmentTokenCreated, "", $"valid {hours:0.##} h; {note}");
        return Results.Ok(new { secret, expiresAt });
    }

    private static async Task<IResult> RevokeAgentAsync(string machineId, HttpContext context, IAgentCredentialStore credentials, AccountAudit audit)
    {
        if (!MachineId.IsValid(machineId))
        {
            return Results.Problem(statusCode: 400, title: "Invalid machine id", detail: $"Machine ids {MachineId.Rule}.");
        }
        if (!await credentials.RevokeAsync(machineId))
        {
            return Results.Problem(statusCode: 404, title: "No credential", detail: $"Machine '{machineId}' has no agent credential.");
        }
        await audit.RecordAsync(context, AuditActions.AgentCredentialRevoked, machineId);
        return Results.NoContent();
    }
}
