namespace SysMon.Protocol;

/// <summary>
/// Machine tags ("prod", "team:web", "rack=4"): set on an agent, sent in its hello, matched against the
/// tags a viewer is restricted to. The one rule both sides apply, so an agent refuses at start what a
/// hub would refuse on connect. Pure.
/// </summary>
public static class MachineTags
{
    public const int MaxCount = 32;
    public const int MaxLength = 40;
    public const string Rule = "at most 32 tags of 1 to 40 characters: lower-case letters, digits, '.', '_', '-', ':' and '='";

    public static bool IsValid(string tag) =>
        tag.Length is > 0 and <= MaxLength && tag.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-' or ':' or '=');

    /// <summary>Trimmed, lower case, without empties or duplicates, in first-seen order.</summary>
    public static string[] Normalize(IEnumerable<string> tags) =>
        [.. tags.Select(tag => tag.Trim().ToLowerInvariant()).Where(tag => tag.Length > 0).Distinct(StringComparer.Ordinal)];

    /// <summary>A comma-separated list ("prod, team:web"), normalised.</summary>
    public static string[] Parse(string? list) => Normalize((list ?? "").Split(','));

    /// <summary>Null when <paramref name="tags"/> (normalised) follow the rule, else why not.</summary>
    public static string? Problem(IReadOnlyCollection<string> tags)
    {
        if (tags.Count > MaxCount)
        {
            return $"{tags.Count} tags: {Rule}.";
        }
        return tags.FirstOrDefault(tag => !IsValid(tag)) is { } bad ? $"Invalid tag '{bad}': {Rule}." : null;
    }
}
