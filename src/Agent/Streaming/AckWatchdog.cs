namespace SysMon.Agent.Streaming;

/// <summary>
/// Notices a hub that takes samples but never acknowledges them: such a hub is as good as dead, and the samples
/// it swallows would be lost if the agent waited for it forever.
/// </summary>
/// <param name="timeout">How long samples may wait for an acknowledgement; zero or less turns the check off.</param>
/// <remarks>
/// Times are offsets from any fixed origin (the connection's start), which keeps the class pure. Thread-safe: the
/// sender reports writes, the reader acknowledgements, and a timer asks.
/// </remarks>
internal sealed class AckWatchdog(TimeSpan timeout)
{
    private readonly Lock _lock = new();
    private ulong _sentUpTo;
    private ulong _ackedUpTo;
    private TimeSpan? _waitingSince; // null while nothing sent is unacknowledged

    /// <summary>A sample of <paramref name="sequence"/> is being written at <paramref name="now"/>.</summary>
    public void OnSent(ulong sequence, TimeSpan now)
    {
        lock (_lock)
        {
            // Counted from the first write that found nothing outstanding: a write blocked by flow control counts too.
            if (_sentUpTo <= _ackedUpTo)
            {
                _waitingSince = now;
            }

            _sentUpTo = Math.Max(_sentUpTo, sequence);
        }
    }

    /// <summary>The hub acknowledged everything up to <paramref name="sequence"/> at <paramref name="now"/>.</summary>
    public void OnAck(ulong sequence, TimeSpan now)
    {
        lock (_lock)
        {
            // An acknowledgement that moves nothing forward is no sign of progress.
            if (sequence <= _ackedUpTo)
            {
                return;
            }

            _ackedUpTo = sequence;
            _waitingSince = _sentUpTo > _ackedUpTo ? now : null;
        }
    }

    /// <summary>Whether samples sent have waited at least the timeout for an acknowledgement.</summary>
    public bool IsOverdue(TimeSpan now)
    {
        lock (_lock)
        {
            return timeout > TimeSpan.Zero && _waitingSince is { } since && now - since >= timeout;
        }
    }
}
