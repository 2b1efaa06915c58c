using StackExchange.Redis;
using SysMon.Hub.Security;

namespace SysMon.Hub.Accounts;

/// <summary>
/// Users and API tokens from the command line, against the Redis the hubs share (ConnectionStrings:Redis):
/// for a first admin on a headless host, for provisioning a Prometheus token, and for recovering a
/// locked-out admin. Passwords are read from standard input, never from arguments (which `ps` shows).
/// <code>
/// SysMon.Hub users add NAME [--role admin|viewer] [--tags a,b]   (password on stdin)
/// SysMon.Hub users list | remove NAME | reset-password NAME | unlock NAME
/// SysMon.Hub api-tokens create NAME [--days N] | list | revoke ID
/// </code>
/// </summary>
public static class UsersCommand
{
    public const string Users = "users";
    public const string ApiTokens = "api-tokens";

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextReader input, TextWriter output, TextWriter error)
    {
        var redis = configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(redis))
        {
            await error.WriteLineAsync($"{args[0]}: set ConnectionStrings__Redis to the Redis your hubs share; a hub without Redis keeps users in its own memory: create them from its dashboard (/setup).");
            return 2;
        }
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var audit = new RedisAuditLog(connection);
        var time = TimeProvider.System;
        var users = new RedisUserStore(connection);
        var revocations = new SessionRevocations(connection);
        async Task Audit(string action, string target, string detail = "") =>
            await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), "cli:" + Environment.UserName, action, target, "", detail));

        switch (args[0], args.ElementAtOrDefault(1))
        {
            case (Users, "add") when args.Length >= 3:
            {
                var name = AccountRules.Normalize(args[2]);
                var role = Role.Viewer;
                string[] tags = [];
                for (var i = 3; i < args.Length; i++)
                {
                    if (args[i] == "--role" && i + 1 < args.Length && Enum.TryParse<Role>(args[++i], ignoreCase: true, out var parsed))
                    {
                        role = parsed;
                    }
                    else if (args[i] == "--tags" && i + 1 < args.Length && AdminApi.CleanTags(args[++i].Split(',')) is { } cleaned)
                    {
                        tags = cleaned;
                    }
                    else
                    {
                        await error.WriteLineAsync($"users add: unknown or malformed argument '{args[i]}' (--role admin|viewer, --tags a,b)");
                        return 2;
                    }
                }
                var password = await input.ReadLineAsync();
                if (!AccountRules.IsValidName(name))
                {
                    await error.WriteLineAsync($"users add: user names {AccountRules.NameRule}.");
                    return 2;
                }
                if (AccountRules.PasswordProblem(password, name) is { } weak)
                {
                    await error.WriteLineAsync($"users add: {weak} (the password is read from standard input)");
                    return 2;
                }
                var user = new UserAccount
                {
                    Name = name, Role = role, PasswordHash = Passwords.Hash(password!), SecurityStamp = UserAccount.NewStamp(),
                    Tags = tags, CreatedAt = time.GetUtcNow(),
                };
                if (!await users.CreateAsync(user))
                {
                    await error.WriteLineAsync($"users add: '{name}' exists.");
                    return 1;
                }
                await Audit(AuditActions.UserCreated, name, $"role {role.ToString().ToLowerInvariant()}");
                await error.WriteLineAsync($"Created {role.ToString().ToLowerInvariant()} '{name}'.");
                return 0;
            }
            case (Users, "list"):
                foreach (var user in await users.ListAsync())
                {
                    await output.WriteLineAsync($"{user.Name}\t{user.Role.ToString().ToLowerInvariant()}\t{(user.TotpSecret is null ? "" : "totp")}\t{string.Join(",", user.Tags)}");
                }
                return 0;
            case (Users, "remove") when args.Length == 3:
            {
                var name = AccountRules.Normalize(args[2]);
                if (!await users.DeleteAsync(name))
                {
                    await error.WriteLineAsync($"users remove: no user '{name}'.");
                    return 1;
                }
                await revocations.PublishAsync(SessionRevocations.User(name));
                await Audit(AuditActions.UserDeleted, name);
                return 0;
            }
            case (Users, "reset-password") when args.Length == 3:
            {
                var name = AccountRules.Normalize(args[2]);
                var password = await input.ReadLineAsync();
                if (await users.GetAsync(name) is not { } user)
                {
                    await error.WriteLineAsync($"users reset-password: no user '{name}'.");
                    return 1;
                }
                if (AccountRules.PasswordProblem(password, name) is { } weak)
                {
                    await error.WriteLineAsync($"users reset-password: {weak}");
                    return 2;
                }
                // The way back for an admin who lost both password and second factor.
                await users.SaveAsync(user with { PasswordHash = Passwords.Hash(password!), SecurityStamp = UserAccount.NewStamp(), TotpSecret = null, LastTotpStep = 0 });
                await users.UnlockAsync(name);
                await revocations.PublishAsync(SessionRevocations.User(name));
                await Audit(AuditActions.UserChanged, name, "password reset, second factor removed");
                await error.WriteLineAsync($"New password set for '{name}'; its sessions and second factor are gone.");
                return 0;
            }
            case (Users, "unlock") when args.Length == 3:
                await users.UnlockAsync(AccountRules.Normalize(args[2]));
                return 0;
            case (ApiTokens, "create") when args.Length >= 3:
            {
                DateTimeOffset? expires = null;
                if (args.Length == 5 && args[3] == "--days" && double.TryParse(args[4], System.Globalization.CultureInfo.InvariantCulture, out var days) && days > 0)
                {
                    expires = time.GetUtcNow().AddDays(days);
                }
                else if (args.Length != 3)
                {
                    await error.WriteLineAsync("api-tokens create: usage: api-tokens create NAME [--days N]");
                    return 2;
                }
                var (token, secret) = await new RedisApiTokenStore(connection).CreateAsync(args[2], "cli:" + Environment.UserName, time.GetUtcNow(), expires, []);
                await Audit(AuditActions.ApiTokenCreated, token.Id, token.Name);
                await output.WriteLineAsync(secret);
                await error.WriteLineAsync($"Read-only API token {token.Id} ('{token.Name}'). Shown once: send it as 'Authorization: Bearer …'.");
                return 0;
            }
            case (ApiTokens, "list"):
                foreach (var token in await new RedisApiTokenStore(connection).ListAsync())
                {
                    await output.WriteLineAsync($"{token.Id}\t{token.Name}\t{token.CreatedBy}\t{token.ExpiresAt?.ToString("u") ?? "no expiry"}");
                }
                return 0;
            case (ApiTokens, "revoke") when args.Length == 3:
                if (await new RedisApiTokenStore(connection).RevokeAsync(args[2]) is not { } revoked)
                {
                    await error.WriteLineAsync($"api-tokens revoke: no token '{args[2]}'.");
                    return 1;
                }
                await revocations.PublishAsync(SessionRevocations.Token(revoked.Id));
                await Audit(AuditActions.ApiTokenRevoked, revoked.Id, revoked.Name);
                return 0;
            default:
                await error.WriteLineAsync(
                    "usage: SysMon.Hub users add NAME [--role admin|viewer] [--tags a,b] (password on stdin) | users list | users remove NAME | " +
                    "users reset-password NAME | users unlock NAME | api-tokens create NAME [--days N] | api-tokens list | api-tokens revoke ID");
                return 2;
        }
    }
}
