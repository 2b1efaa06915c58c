namespace SysMon.Hub.Registry;

/// <summary>
/// The one rule for machine ids, applied wherever one enters the hub (agent hello, viewer subscribe,
/// REST path): ids become Redis keys and SignalR group names, so they must stay short and plain.
/// </summary>
public static class MachineId
{
    public const int MaxLength = 128;

    /// <summary>The rule, as every refusal states it.</summary>
    public static readonly string Rule = $"use 1 to {MaxLength} characters of A-Z, a-z, 0-9, '.', '_' or '-'";

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
