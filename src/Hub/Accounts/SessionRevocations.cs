using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Accounts;

/// <summary>
/// Tells every hub that some sessions just lost their right to look, so each closes the SignalR
/// connections it holds for them at once (cookies are checked on each request anyway; live
/// connections are not, so they must be told). Subjects: "user:NAME", "token:ID", and
/// <see cref="AnonymousLocal"/> when the first user is created and this host's anonymous access ends.
/// </summary>
public sealed class SessionRevocations(IConnectionMultiplexer? redis = null)
{
    public const string AnonymousLocal = "anonymous";

    public static string User(string name) => "user:" + name;

    public static string Token(string id) => "token:" + id;

    public event Action<string>? Revoked;

    public async Task PublishAsync(string subject)
    {
        if (redis is null)
        {
            Revoked?.Invoke(subject);
            return;
        }
        await redis.GetSubscriber().PublishAsync(RedisKeys.SessionRevoked, subject);
    }

    /// <summary>Subscribes (retrying while Redis is down); a hub without Redis hears its own publications directly.</summary>
    public Task ListenAsync(CancellationToken cancellationToken) =>
        redis is null
            ? Task.CompletedTask
            : redis.SubscribeWithRetryAsync(RedisKeys.SessionRevoked, subject => Revoked?.Invoke(subject), cancellationToken);
}
