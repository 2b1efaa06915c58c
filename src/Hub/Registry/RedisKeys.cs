using StackExchange.Redis;

namespace SysMon.Hub.Registry;

/// <summary>
/// Every Redis key and channel SysMon uses, in one place. All share the <c>sysmon:</c> prefix so a
/// Redis shared with other applications stays tidy and <c>SCAN sysmon:*</c> finds all of ours.
/// </summary>
public static class RedisKeys
{
    public const string Prefix = "sysmon:";

    /// <summary>SET of every machine id any hub has seen.</summary>
    public static readonly RedisKey Machines = Prefix + "machines";

    /// <summary>HASH of one machine: hello, last sample, last seen, connection (see <see cref="MachineFields"/>).</summary>
    public static RedisKey Machine(string machineId) => Prefix + "machine:" + machineId;

    /// <summary>
    /// HASH of one bucket of a machine's history in one tier (raw, medium, coarse, processes): field =
    /// start of the point in Unix seconds, value = protobuf HistoryPoint or ProcessSnapshot. A bucket
    /// expires whole once its newest point is older than the tier's retention.
    /// </summary>
    public static RedisKey History(string machineId, string tier, long bucketStartUnixSeconds) =>
        Prefix + "hist:" + machineId + ":" + tier + ":" + bucketStartUnixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>STRING: an enrollment token, by the SHA-256 of its secret; the value is its note. Expires with the token.</summary>
    public static RedisKey EnrollmentToken(string hash) => Prefix + "enroll:" + hash;

    /// <summary>STRING: the machine id an agent credential publishes for, by the SHA-256 of its secret.</summary>
    public static RedisKey AgentCredential(string hash) => Prefix + "cred:" + hash;

    /// <summary>STRING: the SHA-256 of a machine's one credential (so it can be revoked by machine id).</summary>
    public static RedisKey MachineCredential(string machineId) => Prefix + "machine-cred:" + machineId;

    /// <summary>Channel on which a revoked machine id is announced, so every hub closes its stream.</summary>
    public static readonly RedisChannel CredentialRevoked = RedisChannel.Literal(Prefix + "credential-revoked");

    /// <summary>SET of every user name.</summary>
    public static readonly RedisKey Users = Prefix + "users";

    /// <summary>STRING: one user as JSON (UserAccount), by normalised name.</summary>
    public static RedisKey User(string name) => Prefix + "user:" + name;

    /// <summary>STRING counter of failed sign-ins of a name; expires with the counting window.</summary>
    public static RedisKey LoginFailures(string name) => Prefix + "login-failures:" + name;

    /// <summary>STRING present while a name is locked out of password sign-in; expires with the lockout.</summary>
    public static RedisKey LoginLock(string name) => Prefix + "login-lock:" + name;

    /// <summary>SET of every API token id.</summary>
    public static readonly RedisKey ApiTokens = Prefix + "api-tokens";

    /// <summary>STRING: one API token as JSON (ApiToken, with the SHA-256 of its secret, never the secret).</summary>
    public static RedisKey ApiToken(string id) => Prefix + "api-token:" + id;

    /// <summary>STRING: the id of the API token whose secret has this SHA-256.</summary>
    public static RedisKey ApiTokenHash(string hash) => Prefix + "api-token-hash:" + hash;

    /// <summary>LIST of audit entries as JSON, newest first, trimmed to a fixed length.</summary>
    public static readonly RedisKey Audit = Prefix + "audit";

    /// <summary>Channel on which revoked sessions ("user:NAME", "token:ID", "anonymous") are announced, so every hub closes their live connections.</summary>
    public static readonly RedisChannel SessionRevoked = RedisChannel.Literal(Prefix + "session-revoked");

    /// <summary>HASH of one machine's alerts that are not fine: field "rule id\ninstance" → JSON AlertState (pending or firing).</summary>
    public static RedisKey AlertStates(string machineId) => Prefix + "alert-states:" + machineId;

    /// <summary>HASH of the alerts firing now: field "machine\nrule\ninstance" → JSON AlertEvent of the firing.</summary>
    public static readonly RedisKey AlertsFiring = Prefix + "alerts-firing";

    /// <summary>STREAM of alert events (firings and resolutions), capped near 100,000; field "e" holds the JSON AlertEvent.</summary>
    public static readonly RedisKey AlertEvents = Prefix + "alert-events";

    /// <summary>STRING: the instance id of the hub that sends notifications now; a lease, renewed while it lives.</summary>
    public static readonly RedisKey AlertNotifierLease = Prefix + "alert-notifier";

    /// <summary>HASH: channel id → JSON ChannelStatus (last success, last failure and error, counts).</summary>
    public static readonly RedisKey AlertChannelStatus = Prefix + "alert-channel-status";

    /// <summary>HASH: firing field ("machine\nrule\ninstance") → JSON Acknowledgement; cleared when the alert resolves.</summary>
    public static readonly RedisKey AlertAcknowledgements = Prefix + "alert-acks";

    /// <summary>HASH: firing field → Unix ms of the last reminder sent about it; cleared when the alert resolves.</summary>
    public static readonly RedisKey AlertReminders = Prefix + "alert-reminders";

    /// <summary>HASH: rule id → JSON AlertRule, for rules admins made (configured rules stay in configuration).</summary>
    public static readonly RedisKey AlertRules = Prefix + "alert-rules";

    /// <summary>HASH: silence id → JSON AlertSilence; expired ones are removed when listed.</summary>
    public static readonly RedisKey AlertSilences = Prefix + "alert-silences";

    /// <summary>LIST of ASP.NET Core data-protection keys (they seal session cookies), shared by every hub.</summary>
    public static readonly RedisKey DataProtectionKeys = Prefix + "data-protection-keys";

    /// <summary>Channel prefix of the SignalR backplane, so its channels sit beside our keys.</summary>
    public static readonly RedisChannel SignalRChannelPrefix = RedisChannel.Literal(Prefix + "signalr");
}

/// <summary>Field names inside <see cref="RedisKeys.Machine"/>.</summary>
public static class MachineFields
{
    public const string Hello = "hello";               // protobuf Hello bytes
    public const string LastSample = "lastSample";     // protobuf Sample bytes
    public const string LastSampleUnixMs = "lastTs";   // timestamp of LastSample, Unix ms (a replay never replaces a newer one)
    public const string LastSeenUnixMs = "lastSeenMs"; // when the hub received the last message, Unix ms
    public const string Connected = "connected";       // "1" while a stream is open, "0" after it closed
    public const string ConnectionId = "conn";         // id of the stream that owns "connected"
    public const string HubInstance = "hub";           // instance id of the hub holding that stream
}
