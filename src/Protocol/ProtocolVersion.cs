namespace SysMon.Protocol;

/// <summary>
/// The wire contract's version, agreed in the hello: a major version (incompatible changes, none so far)
/// and a minor version, raised whenever fields are added. An agent and a hub one minor version apart
/// work together, in either direction, so a fleet upgrades hubs and agents in any order, one step at
/// a time: each side ignores the fields it does not know (protobuf does) and uses what both know.
/// </summary>
/// <remarks>
/// Minor versions: 0 (fields up to Sample.failed_collectors and Hello.tags; agents that predate the
/// minor field send none, which reads as 0), 1 (Sample.watched_processes; Hello.protocol_minor,
/// Settings.protocol_version and protocol_minor).
/// </remarks>
public static class ProtocolVersion
{
    public const uint Major = 1;
    public const uint Minor = 1;

    /// <summary>Null when a peer speaking <paramref name="major"/>.<paramref name="minor"/> works with this side; else why not. Pure.</summary>
    public static string? Problem(uint major, uint minor, string peer, string self) => Problem(major, minor, Major, Minor, peer, self);

    /// <summary>The rule for any version of this side (tests try versions this build is not).</summary>
    public static string? Problem(uint major, uint minor, uint selfMajor, uint selfMinor, string peer, string self)
    {
        if (major != selfMajor)
        {
            return $"Unsupported protocol version {major}.{minor}; this {self} speaks {selfMajor}.{selfMinor}.";
        }
        if (minor + 1 < selfMinor)
        {
            return $"The {peer}'s protocol {major}.{minor} is more than one minor version older than this {self}'s {selfMajor}.{selfMinor}: upgrade the {peer}.";
        }
        if (minor > selfMinor + 1)
        {
            return $"The {peer}'s protocol {major}.{minor} is more than one minor version newer than this {self}'s {selfMajor}.{selfMinor}: upgrade this {self} first.";
        }
        return null;
    }

    /// <summary>What both sides speak: the lower minor version. Pure.</summary>
    public static uint Agreed(uint peerMinor) => Math.Min(peerMinor, Minor);
}
