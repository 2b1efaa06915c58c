using System.Diagnostics.CodeAnalysis;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Streaming;

/// <summary>
/// The samples the hub has not acknowledged yet, oldest first: a bounded ring that drops its oldest sample
/// when full. Sequences in the ring always increase from oldest to newest.
/// </summary>
/// <remarks>
/// Thread-safe: the sampler adds, the stream reader acknowledges and the sender reads, each on its own task.
/// Every operation holds the lock for O(1) or O(log n) work, except a resize, which copies once.
/// </remarks>
internal sealed class ReplayBuffer
{
    /// <summary>The smallest capacity, whatever the settings, so a short buffer still rides out a hub restart.</summary>
    public const int MinimumCapacity = 16;

    private readonly Lock _lock = new();
    private Sample?[] _ring;
    private int _head; // slot of the oldest sample
    private int _count;
    private ulong _dropped;

    /// <summary>Creates an empty buffer of <paramref name="capacity"/> samples (at least <see cref="MinimumCapacity"/>).</summary>
    public ReplayBuffer(int capacity) => _ring = new Sample?[Math.Max(capacity, MinimumCapacity)];

    /// <summary>How many samples the buffer holds at most.</summary>
    public int Capacity
    {
        get
        {
            lock (_lock)
            {
                return _ring.Length;
            }
        }
    }

    /// <summary>How many unacknowledged samples the buffer holds.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Samples dropped unsent because the buffer was full, since the buffer was created (a counter).</summary>
    public ulong Dropped
    {
        get
        {
            lock (_lock)
            {
                return _dropped;
            }
        }
    }

    /// <summary>The capacity that holds <paramref name="bufferSeconds"/> of samples taken every <paramref name="sampleIntervalMs"/>.</summary>
    public static int CapacityFor(int bufferSeconds, int sampleIntervalMs)
    {
        var samples = Math.Ceiling(Math.Max(bufferSeconds, 0) * 1000.0 / Math.Max(sampleIntervalMs, 1));
        return (int)Math.Clamp(samples, MinimumCapacity, Array.MaxLength);
    }

    /// <summary>
    /// Appends <paramref name="sample"/>, dropping the oldest sample when the buffer is full, and stamps the sample
    /// with the drop counter (<see cref="Sample.BufferDroppedTotal"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The sample's sequence is not above the newest one's.</exception>
    public void Add(Sample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (_lock)
        {
            if (_count > 0 && sample.Sequence <= _ring[Slot(_count - 1)]!.Sequence)
            {
                throw new ArgumentException(
                    $"Sequence {sample.Sequence} is not above the newest buffered one, {_ring[Slot(_count - 1)]!.Sequence}.", nameof(sample));
            }

            if (_count == _ring.Length)
            {
                _ring[_head] = null;
                _head = Slot(1);
                _count--;
                _dropped++;
            }

            sample.BufferDroppedTotal = _dropped;
            _ring[Slot(_count)] = sample;
            _count++;
        }
    }

    /// <summary>Forgets every sample up to and including <paramref name="sequence"/>: the hub has stored them.</summary>
    /// <returns>How many samples were forgotten.</returns>
    public int AckUpTo(ulong sequence)
    {
        lock (_lock)
        {
            var removed = 0;
            while (_count > 0 && _ring[_head]!.Sequence <= sequence)
            {
                _ring[_head] = null; // let the sample be collected now, not when the slot is reused
                _head = Slot(1);
                _count--;
                removed++;
            }

            return removed;
        }
    }

    /// <summary>The oldest buffered sample whose sequence is above <paramref name="sequence"/>.</summary>
    public bool TryGetNextAfter(ulong sequence, [NotNullWhen(true)] out Sample? sample)
    {
        lock (_lock)
        {
            // Sequences increase along the ring, so a binary search over positions finds the first one above.
            int low = 0, high = _count;
            while (low < high)
            {
                var middle = low + ((high - low) / 2);
                if (_ring[Slot(middle)]!.Sequence <= sequence)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            sample = low < _count ? _ring[Slot(low)] : null;
            return sample is not null;
        }
    }

    /// <summary>The buffered samples, oldest first, as a new array.</summary>
    public Sample[] Snapshot()
    {
        lock (_lock)
        {
            var copy = new Sample[_count];
            for (var i = 0; i < _count; i++)
            {
                copy[i] = _ring[Slot(i)]!;
            }

            return copy;
        }
    }

    /// <summary>
    /// Changes the capacity (at least <see cref="MinimumCapacity"/>), keeping the newest samples; the oldest ones that
    /// no longer fit count as dropped.
    /// </summary>
    public void Resize(int capacity)
    {
        capacity = Math.Max(capacity, MinimumCapacity);
        lock (_lock)
        {
            if (capacity == _ring.Length)
            {
                return;
            }

            var kept = Math.Min(_count, capacity);
            var ring = new Sample?[capacity];
            for (var i = 0; i < kept; i++)
            {
                ring[i] = _ring[Slot(_count - kept + i)];
            }

            _dropped += (ulong)(_count - kept);
            _ring = ring;
            _head = 0;
            _count = kept;
        }
    }

    // The ring slot of the sample at position `offset` from the oldest; callers hold the lock.
    private int Slot(int offset)
    {
        var slot = _head + offset;
        return slot >= _ring.Length ? slot - _ring.Length : slot;
    }
}
