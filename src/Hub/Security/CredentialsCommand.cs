using System.Globalization;
using StackExchange.Redis;

namespace SysMon.Hub.Security;

/// <summary>
/// <c>SysMon.Hub credentials enroll [--ttl 24h] [--note TEXT]</c> prints a new enrollment token (shown
/// once); <c>SysMon.Hub credentials revoke MACHINE_ID</c> revokes a machine's credential and closes its
/// stream on whichever hub holds it. Both act on the Redis the hubs share (ConnectionStrings:Redis).
/// </summary>
public static class CredentialsCommand
{
    public const string Name = "credentials";

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var redis = configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(redis))
        {
            await error.WriteLineAsync("credentials: set ConnectionStrings__Redis to the Redis your hubs share; a hub without Redis keeps credentials in its own memory, out of reach of this command.");
            return 2;
        }
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var store = new RedisAgentCredentialStore(connection);
        switch (args.ElementAtOrDefault(1))
        {
            case "enroll":
                var ttl = TimeSpan.FromHours(24);
                var note = "";
                for (var i = 2; i < args.Length; i++)
                {
                    if (args[i] == "--ttl" && i + 1 < args.Length && ParseDuration(args[++i]) is { } parsed)
                    {
                        ttl = parsed;
                    }
                    else if (args[i] == "--note" && i + 1 < args.Length)
                    {
                        note = args[++i];
                    }
                    else
                    {
                        await error.WriteLineAsync($"credentials enroll: unknown or malformed argument '{args[i]}' (--ttl 30m|24h|7d, --note TEXT)");
                        return 2;
                    }
                }
                var token = await store.CreateEnrollmentTokenAsync(ttl, note);
                await output.WriteLineAsync(token);
                await error.WriteLineAsync($"Enrollment token valid for {ttl.TotalHours:0.##} h. Shown once; give it to agents with --token-file.");
                return 0;
            case "revoke" when args.Length == 3:
                var revoked = await store.RevokeAsync(args[2]);
                await error.WriteLineAsync(revoked ? $"Revoked the credential of {args[2]}; its stream is closed." : $"{args[2]} has no credential.");
                return revoked ? 0 : 1;
            default:
                await error.WriteLineAsync("usage: SysMon.Hub credentials enroll [--ttl 24h] [--note TEXT] | credentials revoke MACHINE_ID");
                return 2;
        }
    }

    /// <summary>"90s", "30m", "24h", "7d" → a positive duration; null otherwise. Pure.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || !(n > 0))
        {
            return null;
        }
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => null,
        };
    }
}
