using SysMon.Agent.Streaming;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Streaming;

public class StreamCursorTests
{
    private static ReplayBuffer Filled(ulong first, ulong last)
    {
        var buffer = new ReplayBuffer(64);
        for (var sequence = first; sequence <= last; sequence++)
        {
            buffer.Add(new Sample { Sequence = sequence });
        }

        return buffer;
    }

    private static List<(ulong Sequence, bool Replayed)> Drain(StreamCursor cursor, ReplayBuffer buffer)
    {
        var sent = new List<(ulong, bool)>();
        while (cursor.TryNext(buffer, out var sample))
        {
            sent.Add((sample.Sequence, sample.Replayed));
        }

        return sent;
    }

    [Fact]
    public void ABacklogGoesOutOldestFirstAsReplayedThenLiveSamplesAsLive()
    {
        var buffer = Filled(1, 5); // taken while no hub was connected
        var cursor = new StreamCursor(firstLiveSequence: 6);

        var replay = Drain(cursor, buffer);
        buffer.Add(new Sample { Sequence = 6 });
        buffer.Add(new Sample { Sequence = 7 });
        var live = Drain(cursor, buffer);

        Assert.Equal([(1UL, true), (2, true), (3, true), (4, true), (5, true)], replay);
        Assert.Equal([(6UL, false), (7, false)], live);
    }

    [Fact]
    public void NothingIsSentTwiceOnOneConnection()
    {
        var buffer = Filled(1, 3);
        var cursor = new StreamCursor(firstLiveSequence: 1);

        Drain(cursor, buffer);

        Assert.Empty(Drain(cursor, buffer));
        Assert.Equal(3UL, cursor.SentUpTo);
    }

    [Fact]
    public void AfterAReconnectEverythingUnacknowledgedIsSentAgainAsReplayed()
    {
        var buffer = Filled(1, 6);
        var first = new StreamCursor(firstLiveSequence: 1);
        Drain(first, buffer); // all six went out live
        buffer.AckUpTo(3); // the hub stored 1..3, then died

        buffer.Add(new Sample { Sequence = 7 }); // taken while reconnecting
        var second = new StreamCursor(firstLiveSequence: 8);
        var resent = Drain(second, buffer);

        Assert.Equal([(4UL, true), (5, true), (6, true), (7, true)], resent);
    }

    [Fact]
    public void AcknowledgementsDuringAReplaySkipNothingAndRepeatNothing()
    {
        var buffer = Filled(1, 10);
        var cursor = new StreamCursor(firstLiveSequence: 11);
        var sent = new List<ulong>();

        for (var i = 0; i < 4 && cursor.TryNext(buffer, out var sample); i++)
        {
            sent.Add(sample.Sequence);
        }

        buffer.AckUpTo(3); // acks arrive while the replay is being written
        sent.AddRange(Drain(cursor, buffer).Select(s => s.Sequence));

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (ulong)i), sent);
    }

    [Fact]
    public void SamplesDroppedFromAFullBufferDuringAReplayAreSkipped()
    {
        var buffer = new ReplayBuffer(16);
        for (ulong sequence = 1; sequence <= 16; sequence++)
        {
            buffer.Add(new Sample { Sequence = sequence });
        }

        var cursor = new StreamCursor(firstLiveSequence: 17);
        Assert.True(cursor.TryNext(buffer, out _)); // 1 is on the wire
        for (ulong sequence = 17; sequence <= 20; sequence++)
        {
            buffer.Add(new Sample { Sequence = sequence }); // drops 1..4
        }

        Assert.True(cursor.TryNext(buffer, out var next));
        Assert.Equal(5UL, next.Sequence);
    }

    [Theory]
    [InlineData(1UL, 2UL, true)]
    [InlineData(2UL, 2UL, false)]
    [InlineData(3UL, 2UL, false)]
    [InlineData(1UL, 1UL, false)]
    public void ASampleIsReplayedWhenItWasTakenBeforeTheConnection(ulong sequence, ulong firstLive, bool replayed)
    {
        Assert.Equal(replayed, StreamCursor.IsReplayed(sequence, firstLive));
    }
}
