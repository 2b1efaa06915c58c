using Microsoft.AspNetCore.Identity;

namespace SysMon.Hub.Accounts;

/// <summary>
/// ASP.NET Core Identity's password hasher (PBKDF2-HMAC-SHA512, 100,000 iterations, per-hash salt, in a
/// versioned format it upgrades on sign-in). Verifying a name that does not exist still costs one hash,
/// so response times do not tell which names exist.
/// </summary>
public static class Passwords
{
    private static readonly PasswordHasher<UserAccount> Hasher = new();
    private static readonly UserAccount Nobody = new() { Name = "", Role = Role.Viewer, SecurityStamp = "" };
    private static readonly string DecoyHash = Hasher.HashPassword(Nobody, "decoy password that matches nothing");

    public static string Hash(string password) => Hasher.HashPassword(Nobody, password);

    /// <summary>Whether <paramref name="password"/> is the user's, and a fresher hash to store when the format moved on.</summary>
    public static (bool Ok, string? Rehashed) Verify(UserAccount? user, string password)
    {
        if (user is null || user.PasswordHash.Length == 0)
        {
            Hasher.VerifyHashedPassword(Nobody, DecoyHash, password);
            return (false, null);
        }
        return Hasher.VerifyHashedPassword(user, user.PasswordHash, password) switch
        {
            PasswordVerificationResult.Success => (true, null),
            PasswordVerificationResult.SuccessRehashNeeded => (true, Hash(password)),
            _ => (false, null),
        };
    }
}
