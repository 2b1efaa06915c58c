namespace SysMon.Protocol;

/// <summary>
/// Names of the processes an agent watches ("nginx", "postgres"): configured on the agent, reported with a count
/// in every sample, what "expected process not running" alerts read. The one rule both sides apply, so an agent
/// refuses at start what a hub would refuse in a sample. Pure.
/// </summary>
public static class WatchedProcessNames
{
    public const int MaxCount = 64;
    public const int MaxLength = 64;
    public const string Rule = "at most 64 distinct names of 1 to 64 characters, without control characters";

    /// <summary>
    /// Process names are whatever a program chose (spaces, dots, colons, any script), so only what breaks logs,
    /// terminals and JSON is refused: control characters and half a surrogate pair.
    /// </summary>
    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > MaxLength)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c) || char.IsLowSurrogate(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1]))
                {
                    return false;
                }

                i++;
            }
        }

        return true;
    }

    /// <summary>
    /// A comma-separated list ("nginx, postgres"): trimmed, duplicates removed (process names are case-sensitive,
    /// so only exact ones), in configured order, which is the order samples report them in. An empty entry stays
    /// (once) for <see cref="Problem"/> to refuse: "nginx,,postgres" is more likely a mistake than a wish.
    /// A null or blank list is no names.
    /// </summary>
    public static string[] Parse(string? list) =>
        string.IsNullOrWhiteSpace(list)
            ? []
            : [.. list.Split(',').Select(name => name.Trim()).Distinct(StringComparer.Ordinal)];

    /// <summary>Null when <paramref name="names"/> follow the rule, else why not.</summary>
    public static string? Problem(IReadOnlyCollection<string> names)
    {
        if (names.Count > MaxCount)
        {
            return $"{names.Count} names: {Rule}.";
        }

        if (names.FirstOrDefault(name => !IsValid(name)) is { } bad)
        {
            return bad.Length == 0
                ? $"An empty name: {Rule}."
                : $"Invalid name '{Printable(bad)}': {Rule}.";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        return names.FirstOrDefault(name => !seen.Add(name)) is { } twice ? $"Name '{twice}' given twice: {Rule}." : null;
    }

    // The refused name goes into an error message, a log line or a gRPC status: never with its control characters.
    private static string Printable(string name)
    {
        var cut = name.Length > MaxLength ? name[..MaxLength] + "…" : name;
        return string.Concat(cut.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
