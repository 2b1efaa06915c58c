using StackExchange.Redis;

namespace SysMon.Hub.Registry;

/// <summary>
/// The one definition of "Redis is down or too slow right now": the failures every Redis caller of the
/// hub lives through (retry, 503, skip a fan-out) instead of treating as bugs.
/// </summary>
public static class RedisOutage
{
    public static bool Is(Exception exception) => exception is StackExchange.Redis.RedisException or TimeoutException;

    /// <summary>
    /// The database, or a RedisConnectionException at once while the multiplexer is disconnected. For
    /// calls on the request path (who is asking?), which must not wait out the client's 5-second backlog
    /// timeout on every request while Redis is down.
    /// </summary>
    public static StackExchange.Redis.IDatabase DatabaseOrFail(this StackExchange.Redis.IConnectionMultiplexer redis) =>
        redis.IsConnected
            ? redis.GetDatabase()
            : throw new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.UnableToConnect, "Redis is not connected.");
}

/// <summary>Redis down is a state the hub lives through, not a bug: 503 with a reason, not a 500 with a stack.</summary>
public static class RedisOutageFilter
{
    public static async ValueTask<object?> AsServiceUnavailable(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (RedisOutage.Is(ex))
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Registry unavailable",
                detail: "The hub cannot reach Redis right now; it reconnects by itself. Try again shortly.");
        }
    }
}

public static class RedisChannels
{
    /// <summary>
    /// Subscribes <paramref name="onMessage"/> to <paramref name="channel"/>, retrying every 2 s while Redis
    /// is down (a hub must start without Redis); completes once subscribed. From then on the multiplexer
    /// subscribes again by itself after every reconnect.
    /// </summary>
    public static async Task SubscribeWithRetryAsync(this IConnectionMultiplexer redis, RedisChannel channel, Action<string> onMessage,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await redis.GetSubscriber().SubscribeAsync(channel, (_, message) =>
                {
                    if (message.HasValue)
                    {
                        onMessage(message.ToString());
                    }
                });
                return;
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }
}
