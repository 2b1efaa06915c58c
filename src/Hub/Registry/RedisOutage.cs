namespace SysMon.Hub.Registry;

/// <summary>
/// The one definition of "Redis is down or too slow right now": the failures every Redis caller of the
/// hub lives through (retry, 503, skip a fan-out) instead of treating as bugs.
/// </summary>
public static class RedisOutage
{
    public static bool Is(Exception exception) => exception is StackExchange.Redis.RedisException or TimeoutException;
}
