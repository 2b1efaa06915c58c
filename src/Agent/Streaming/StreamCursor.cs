using System.Diagnostics.CodeAnalysis;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Streaming;

/// <summary>
/// What one connection has sent so far: it hands out the buffered samples oldest first, each once per connection,
/// and flags as replayed every sample taken before the connection was made.
/// </summary>
/// <param name="firstLiveSequence">The sequence of the first sample taken after this connection was made.</param>
/// <remarks>
/// A new connection starts a new cursor, so everything still unacknowledged is sent again there; the hub stores a
/// sequence it already has only once.
/// </remarks>
internal sealed class StreamCursor(ulong firstLiveSequence)
{
    /// <summary>The highest sequence handed out on this connection (0 before the first).</summary>
    public ulong SentUpTo { get; private set; }

    /// <summary>Whether a sample of <paramref name="sequence"/> goes out as history rather than as a live point.</summary>
    public static bool IsReplayed(ulong sequence, ulong firstLiveSequence) => sequence < firstLiveSequence;

    /// <summary>
    /// The next sample to send: the oldest in <paramref name="buffer"/> not yet sent on this connection, with
    /// <see cref="Sample.Replayed"/> set for this connection.
    /// </summary>
    public bool TryNext(ReplayBuffer buffer, [NotNullWhen(true)] out Sample? sample)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!buffer.TryGetNextAfter(SentUpTo, out sample))
        {
            return false;
        }

        // Only the sender touches a buffered sample after it is added, so setting the flag here cannot race a write.
        sample.Replayed = IsReplayed(sample.Sequence, firstLiveSequence);
        SentUpTo = sample.Sequence;
        return true;
    }
}
