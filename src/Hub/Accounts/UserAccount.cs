using System.Text.Json.Serialization;

namespace SysMon.Hub.Accounts;

/// <summary>What a person may do: viewers read, admins also manage users, tokens, rules and settings.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Role>))]
public enum Role
{
    Viewer,
    Admin,
}

/// <summary>
/// A person who signs in. Only the password's hash (ASP.NET Core Identity's PBKDF2 format) is stored.
/// <see cref="SecurityStamp"/> is copied into every session cookie; changing it (sign out everywhere, a
/// new password, a changed role) invalidates them all on every hub.
/// </summary>
public sealed record UserAccount
{
    public required string Name { get; init; }
    public required Role Role { get; init; }
    /// <summary>Empty for accounts that sign in only through single sign-on.</summary>
    public string PasswordHash { get; init; } = "";
    public required string SecurityStamp { get; init; }
    /// <summary>Base32 TOTP secret once a second factor is confirmed; null without one.</summary>
    public string? TotpSecret { get; init; }
    /// <summary>The last 30-second TOTP step accepted, so a code is good once.</summary>
    public long LastTotpStep { get; init; }
    /// <summary>Empty: every machine. Otherwise the viewer sees only machines carrying one of these tags.</summary>
    public string[] Tags { get; init; } = [];
    /// <summary>"local" or "oidc".</summary>
    public string Source { get; init; } = UserSources.Local;
    public DateTimeOffset CreatedAt { get; init; }

    public static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}

public static class UserSources
{
    public const string Local = "local";
    public const string Oidc = "oidc";
}

/// <summary>Rules for user names and passwords. Pure.</summary>
public static class AccountRules
{
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 256;
    public const string NameRule = "are 1 to 64 characters: letters, digits, '.', '_', '-' and '@'";

    /// <summary>Names compare case-insensitively, so they are stored lower-case.</summary>
    public static string Normalize(string name) => name.Trim().ToLowerInvariant();

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-' or '@');

    /// <summary>Null when acceptable, else why not. Length is what makes a password strong; no composition rules (NIST SP 800-63B).</summary>
    public static string? PasswordProblem(string? password, string name)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinPasswordLength)
        {
            return $"Passwords are at least {MinPasswordLength} characters.";
        }
        if (password.Length > MaxPasswordLength)
        {
            return $"Passwords are at most {MaxPasswordLength} characters.";
        }
        if (string.Equals(password.Trim(), name, StringComparison.OrdinalIgnoreCase))
        {
            return "The password must not be the user name.";
        }
        return null;
    }
}
