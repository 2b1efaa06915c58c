using System.Diagnostics;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Observability;

/// <summary>Measures the Redis round trip every few seconds for /metrics (and tells when Redis is gone).</summary>
public sealed class RedisProbe(IConnectionMultiplexer redis, HubMetrics metrics) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                await redis.GetDatabase().PingAsync().WaitAsync(Interval, stoppingToken);
                metrics.RedisRoundTrip = Stopwatch.GetElapsedTime(started);
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                metrics.RedisRoundTrip = null;
            }
            try
            {
                await Task.Delay(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
