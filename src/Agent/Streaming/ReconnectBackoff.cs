namespace SysMon.Agent.Streaming;

/// <summary>
/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): the n-th
/// delay is uniform in [0, min(max, initial × 2ⁿ)), so a hub restart is not met by every agent at once.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan initialDelay, TimeSpan maxDelay, Func<double> nextRandom)
{
    /// <summary>Floor under the jittered delay, so an unlucky draw of ~0 cannot make a tight reconnect loop.</summary>
    public static readonly TimeSpan MinimumDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>How many delays were handed out since the last reset.</summary>
    public int Attempt { get; private set; }

    /// <summary>1 s doubling to 30 s, jittered by <see cref="Random.Shared"/>.</summary>
    public static ReconnectBackoff CreateDefault() =>
        new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared.NextDouble);

    /// <summary>The upper bound of the delay for <paramref name="attempt"/> (0-based).</summary>
    public TimeSpan Ceiling(int attempt)
    {
        // Cap the exponent: 2^30 seconds is beyond any sane maximum and far from overflow.
        var ticks = initialDelay.Ticks * Math.Pow(2, Math.Clamp(attempt, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(ticks, maxDelay.Ticks));
    }

    /// <summary>The delay before the next attempt; each call doubles the ceiling up to the maximum.</summary>
    public TimeSpan NextDelay()
    {
        var ceiling = Ceiling(Attempt);
        if (Attempt < int.MaxValue)
        {
            Attempt++;
        }

        var jittered = TimeSpan.FromTicks((long)(ceiling.Ticks * Math.Clamp(nextRandom(), 0, 1)));
        return jittered < MinimumDelay ? MinimumDelay : jittered;
    }

    /// <summary>Back to the initial delay: the connection was healthy.</summary>
    public void Reset() => Attempt = 0;
}
