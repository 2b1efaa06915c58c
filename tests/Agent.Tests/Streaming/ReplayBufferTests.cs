using SysMon.Agent.Streaming;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Streaming;

public class ReplayBufferTests
{
    private static ReplayBuffer Filled(int capacity, ulong first, ulong last)
    {
        var buffer = new ReplayBuffer(capacity);
        for (var sequence = first; sequence <= last; sequence++)
        {
            buffer.Add(new Sample { Sequence = sequence });
        }

        return buffer;
    }

    private static ulong[] Sequences(ReplayBuffer buffer) => buffer.Snapshot().Select(s => s.Sequence).ToArray();

    private static ulong[] Range(ulong first, ulong last) =>
        Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (ulong)i).ToArray();

    [Fact]
    public void ANewBufferIsEmpty()
    {
        var buffer = new ReplayBuffer(32);

        Assert.Equal(0, buffer.Count);
        Assert.Equal(0UL, buffer.Dropped);
        Assert.Empty(buffer.Snapshot());
        Assert.False(buffer.TryGetNextAfter(0, out _));
    }

    [Fact]
    public void SamplesComeBackOldestFirst()
    {
        var buffer = Filled(32, 1, 5);

        Assert.Equal(5, buffer.Count);
        Assert.Equal(Range(1, 5), Sequences(buffer));
    }

    [Fact]
    public void CapacityNeverFallsBelowTheMinimum()
    {
        Assert.Equal(ReplayBuffer.MinimumCapacity, new ReplayBuffer(1).Capacity);
        Assert.Equal(ReplayBuffer.MinimumCapacity, new ReplayBuffer(-5).Capacity);
    }

    [Fact]
    public void AFullBufferDropsTheOldestAndCountsIt()
    {
        var buffer = Filled(16, 1, 20);

        Assert.Equal(16, buffer.Count);
        Assert.Equal(4UL, buffer.Dropped);
        Assert.Equal(Range(5, 20), Sequences(buffer));
    }

    [Fact]
    public void EverySampleCarriesTheDropCounterAsOfItsAdding()
    {
        var buffer = new ReplayBuffer(16);
        var samples = Enumerable.Range(1, 19).Select(i => new Sample { Sequence = (ulong)i }).ToArray();

        foreach (var sample in samples)
        {
            buffer.Add(sample);
        }

        Assert.All(samples.Take(16), s => Assert.Equal(0UL, s.BufferDroppedTotal));
        Assert.Equal([1UL, 2, 3], samples.Skip(16).Select(s => s.BufferDroppedTotal));
    }

    [Fact]
    public void TheRingWrapsAroundManyTimesWithoutLosingOrder()
    {
        var buffer = new ReplayBuffer(16);
        ulong next = 1;
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < 7; i++)
            {
                buffer.Add(new Sample { Sequence = next++ });
            }

            // Acknowledge all but the newest three, so head and tail keep moving around the ring.
            buffer.AckUpTo(next - 4);
            Assert.Equal(Range(next - 3, next - 1), Sequences(buffer));
        }

        Assert.Equal(0UL, buffer.Dropped);
    }

    [Fact]
    public void AnAckDropsEverythingUpToAndIncludingItsSequence()
    {
        var buffer = Filled(32, 1, 10);

        var removed = buffer.AckUpTo(4);

        Assert.Equal(4, removed);
        Assert.Equal(Range(5, 10), Sequences(buffer));
    }

    [Fact]
    public void AnAckBelowTheOldestChangesNothing()
    {
        var buffer = Filled(16, 1, 20); // 5..20 left

        Assert.Equal(0, buffer.AckUpTo(3));
        Assert.Equal(Range(5, 20), Sequences(buffer));
    }

    [Fact]
    public void AnAckBeyondTheNewestEmptiesTheBuffer()
    {
        var buffer = Filled(32, 1, 10);

        Assert.Equal(10, buffer.AckUpTo(1_000));
        Assert.Equal(0, buffer.Count);
        Assert.False(buffer.TryGetNextAfter(0, out _));
    }

    [Fact]
    public void AnAckDoesNotCountAsADrop()
    {
        var buffer = Filled(32, 1, 10);

        buffer.AckUpTo(10);

        Assert.Equal(0UL, buffer.Dropped);
    }

    [Fact]
    public void SequencesMustIncrease()
    {
        var buffer = Filled(32, 1, 3);

        Assert.Throws<ArgumentException>(() => buffer.Add(new Sample { Sequence = 3 }));
        Assert.Throws<ArgumentException>(() => buffer.Add(new Sample { Sequence = 2 }));
        Assert.Equal(3, buffer.Count);
    }

    [Fact]
    public void GapsInSequencesAreAllowed()
    {
        var buffer = new ReplayBuffer(16);
        buffer.Add(new Sample { Sequence = 2 });
        buffer.Add(new Sample { Sequence = 7 });
        buffer.Add(new Sample { Sequence = 9 });

        Assert.True(buffer.TryGetNextAfter(2, out var next));
        Assert.Equal(7UL, next.Sequence);
        Assert.True(buffer.TryGetNextAfter(7, out next));
        Assert.Equal(9UL, next.Sequence);
        Assert.True(buffer.TryGetNextAfter(3, out next));
        Assert.Equal(7UL, next.Sequence);
    }

    [Fact]
    public void NextAfterFindsTheOldestAboveTheGivenSequence()
    {
        var buffer = Filled(16, 1, 40); // wrapped: 25..40 left

        Assert.True(buffer.TryGetNextAfter(0, out var first));
        Assert.Equal(25UL, first.Sequence);
        Assert.True(buffer.TryGetNextAfter(30, out var middle));
        Assert.Equal(31UL, middle.Sequence);
        Assert.True(buffer.TryGetNextAfter(39, out var last));
        Assert.Equal(40UL, last.Sequence);
        Assert.False(buffer.TryGetNextAfter(40, out _));
    }

    [Fact]
    public void WalkingWithNextAfterVisitsEverySampleOnceInOrder()
    {
        var buffer = Filled(16, 1, 29); // wrapped
        var visited = new List<ulong>();

        for (ulong after = 0; buffer.TryGetNextAfter(after, out var sample); after = sample.Sequence)
        {
            visited.Add(sample.Sequence);
        }

        Assert.Equal(Range(14, 29), visited);
    }

    [Fact]
    public void GrowingKeepsEverySample()
    {
        var buffer = Filled(16, 1, 20); // wrapped: 5..20

        buffer.Resize(64);
        for (ulong sequence = 21; sequence <= 60; sequence++)
        {
            buffer.Add(new Sample { Sequence = sequence });
        }

        Assert.Equal(64, buffer.Capacity);
        Assert.Equal(Range(5, 60), Sequences(buffer));
        Assert.Equal(4UL, buffer.Dropped);
    }

    [Fact]
    public void ShrinkingKeepsTheNewestAndCountsTheRestAsDropped()
    {
        var buffer = Filled(64, 1, 50);
        buffer.AckUpTo(10); // 11..50 left, head away from slot 0

        buffer.Resize(20);

        Assert.Equal(20, buffer.Capacity);
        Assert.Equal(Range(31, 50), Sequences(buffer));
        Assert.Equal(20UL, buffer.Dropped);
    }

    [Fact]
    public void ShrinkingABufferThatFitsDropsNothing()
    {
        var buffer = Filled(64, 1, 10);

        buffer.Resize(16);

        Assert.Equal(Range(1, 10), Sequences(buffer));
        Assert.Equal(0UL, buffer.Dropped);
    }

    [Fact]
    public void AResizedBufferStillDropsOldestFirstWhenFull()
    {
        var buffer = Filled(32, 1, 40);

        buffer.Resize(16);
        buffer.Add(new Sample { Sequence = 41 });

        Assert.Equal(Range(26, 41), Sequences(buffer));
        Assert.Equal(8UL + 16 + 1, buffer.Dropped);
    }

    [Theory]
    [InlineData(900, 1000, 900)]
    [InlineData(900, 250, 3600)]
    [InlineData(900, 60_000, 16)] // 15 samples would do; the minimum wins
    [InlineData(10, 3000, 16)]
    [InlineData(1, 300, 16)]
    [InlineData(100, 300, 334)] // 333.3 rounds up: a whole BufferSeconds fits
    [InlineData(0, 1000, 16)]
    public void CapacityIsTheBufferTimeOverTheIntervalRoundedUp(int bufferSeconds, int intervalMs, int capacity)
    {
        Assert.Equal(capacity, ReplayBuffer.CapacityFor(bufferSeconds, intervalMs));
    }

    [Fact]
    public async Task AddingAndAcknowledgingFromDifferentThreadsLosesNothing()
    {
        var buffer = new ReplayBuffer(100_000);
        const int total = 50_000;
        var adder = Task.Run(() =>
        {
            for (ulong sequence = 1; sequence <= total; sequence++)
            {
                buffer.Add(new Sample { Sequence = sequence });
            }
        });
        var acker = Task.Run(() =>
        {
            // Acknowledge whatever the sender would have seen, until the last one.
            ulong acked = 0;
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            while (acked < total && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (buffer.TryGetNextAfter(acked, out var next))
                {
                    Assert.Equal(acked + 1, next.Sequence);
                    buffer.AckUpTo(next.Sequence);
                    acked = next.Sequence;
                }
            }
        });

        await Task.WhenAll(adder, acker).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, buffer.Count);
        Assert.Equal(0UL, buffer.Dropped);
    }
}
