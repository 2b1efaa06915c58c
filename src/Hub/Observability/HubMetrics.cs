namespace SysMon.Hub.Observability;

/// <summary>The hub's own figures for /metrics. Plain counters: incrementing one is a single interlocked add on the ingest path.</summary>
public sealed class HubMetrics
{
    private long _agentsConnected;
    private long _viewersConnected;
    private long _samplesReceived;
    private long _samplesStored;
    private long _samplesDuplicate;
    private long _samplesPublishedLive;
    private long _samplesPublishedBackfill;
    private long _publishFailures;
    private long _storeRetries;
    private long _samplesThrottled;
    private long _streamsIdleClosed;
    private long _redisRoundTripMicroseconds = -1;

    /// <summary>True when the hub listens beyond loopback without authentication (Security:AllowUnauthenticatedNetwork).</summary>
    public bool UnauthenticatedNetwork { get; set; }

    /// <summary>False for a lone hub without Redis: it reports no Redis figures rather than a Redis that looks down.</summary>
    public bool RedisConfigured { get; set; }

    public long AgentsConnected => Interlocked.Read(ref _agentsConnected);
    public long ViewersConnected => Interlocked.Read(ref _viewersConnected);
    public long SamplesReceived => Interlocked.Read(ref _samplesReceived);
    public long SamplesStored => Interlocked.Read(ref _samplesStored);
    public long SamplesDuplicate => Interlocked.Read(ref _samplesDuplicate);
    public long SamplesPublishedLive => Interlocked.Read(ref _samplesPublishedLive);
    public long SamplesPublishedBackfill => Interlocked.Read(ref _samplesPublishedBackfill);
    public long PublishFailures => Interlocked.Read(ref _publishFailures);
    public long StoreRetries => Interlocked.Read(ref _storeRetries);
    public long SamplesThrottled => Interlocked.Read(ref _samplesThrottled);
    public long StreamsIdleClosed => Interlocked.Read(ref _streamsIdleClosed);

    /// <summary>Last measured Redis PING round trip, or null before the first or while Redis is down.</summary>
    public TimeSpan? RedisRoundTrip
    {
        get
        {
            var us = Interlocked.Read(ref _redisRoundTripMicroseconds);
            return us < 0 ? null : TimeSpan.FromMicroseconds(us);
        }
        set => Interlocked.Exchange(ref _redisRoundTripMicroseconds, value is { } v ? (long)v.TotalMicroseconds : -1);
    }

    public void AgentConnected() => Interlocked.Increment(ref _agentsConnected);
    public void AgentDisconnected() => Interlocked.Decrement(ref _agentsConnected);
    public void ViewerConnected() => Interlocked.Increment(ref _viewersConnected);
    public void ViewerDisconnected() => Interlocked.Decrement(ref _viewersConnected);
    public void SampleReceived() => Interlocked.Increment(ref _samplesReceived);
    public void SampleStored() => Interlocked.Increment(ref _samplesStored);
    public void SampleDuplicate() => Interlocked.Increment(ref _samplesDuplicate);
    public void SamplePublished(bool live) => Interlocked.Increment(ref live ? ref _samplesPublishedLive : ref _samplesPublishedBackfill);
    public void PublishFailed() => Interlocked.Increment(ref _publishFailures);
    public void StoreRetried() => Interlocked.Increment(ref _storeRetries);
    public void SampleThrottled() => Interlocked.Increment(ref _samplesThrottled);
    public void StreamIdleClosed() => Interlocked.Increment(ref _streamsIdleClosed);
}
