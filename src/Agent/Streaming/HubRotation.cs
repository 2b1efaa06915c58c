namespace SysMon.Agent.Streaming;

/// <summary>How a connection to a hub ended, as far as choosing the next attempt goes.</summary>
internal enum ConnectionOutcome
{
    /// <summary>It never worked, or it stopped working: refused, unreachable, or samples never acknowledged.</summary>
    Failed,

    /// <summary>It worked for a while, then broke (the hub died or closed the stream).</summary>
    Broke,

    /// <summary>The hub asked the agent to go elsewhere (<c>Reconnect</c>): no failure at all.</summary>
    Redirected,
}

/// <summary>
/// Which hub address to dial next and how long to wait first. Addresses are taken round robin, one step per ended
/// connection. After a connection that worked, the next address is dialled at once; failures move on at once too,
/// until every address has failed in a row, and only then does the jittered exponential backoff wait, once per round.
/// </summary>
/// <remarks>
/// This way a dead hub costs one failed dial before the agent streams to the next, while a fleet of agents facing
/// no hub at all still backs off.
/// </remarks>
internal sealed class HubRotation
{
    /// <summary>A connection that lived this long without an acknowledgement still counts as having worked.</summary>
    public static readonly TimeSpan HealthyConnectionAge = TimeSpan.FromSeconds(10);

    /// <summary>A redirect sooner than this after connecting counts as a failure.</summary>
    public static readonly TimeSpan MinimumRedirectAge = TimeSpan.FromSeconds(1);

    private readonly int _addressCount;
    private readonly ReconnectBackoff _backoff;

    /// <summary>Starts at the first of <paramref name="addressCount"/> addresses.</summary>
    public HubRotation(int addressCount, ReconnectBackoff backoff)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(addressCount, 1);
        ArgumentNullException.ThrowIfNull(backoff);
        _addressCount = addressCount;
        _backoff = backoff;
    }

    /// <summary>The index of the address to dial next.</summary>
    public int Current { get; private set; }

    /// <summary>Connections that failed since the last one that worked.</summary>
    public int FailuresInARow { get; private set; }

    /// <summary>How many backoff delays were handed out since the last connection that worked.</summary>
    public int BackoffAttempt => _backoff.Attempt;

    /// <summary>
    /// Classifies an ended connection. One that was answered (<paramref name="answered"/>: the hub sent anything)
    /// and then got an acknowledgement or lived <see cref="HealthyConnectionAge"/> worked; answered alone is not
    /// enough, or a hub that fails every stream right after the hello would be redialled in a tight loop. For the
    /// same reason a redirect is only taken as one after <see cref="MinimumRedirectAge"/>.
    /// </summary>
    public static ConnectionOutcome Classify(bool redirected, bool ackTimedOut, bool answered, bool acknowledged, TimeSpan lived)
    {
        if (redirected)
        {
            return lived >= MinimumRedirectAge ? ConnectionOutcome.Redirected : ConnectionOutcome.Failed;
        }

        if (ackTimedOut)
        {
            return ConnectionOutcome.Failed;
        }

        return answered && (acknowledged || lived >= HealthyConnectionAge) ? ConnectionOutcome.Broke : ConnectionOutcome.Failed;
    }

    /// <summary>Moves to the next address after a connection ended with <paramref name="outcome"/>.</summary>
    /// <returns>How long to wait before dialling <see cref="Current"/>.</returns>
    public TimeSpan Advance(ConnectionOutcome outcome)
    {
        Current = (Current + 1) % _addressCount;
        if (outcome != ConnectionOutcome.Failed)
        {
            FailuresInARow = 0;
            _backoff.Reset();
            return TimeSpan.Zero;
        }

        FailuresInARow = FailuresInARow == int.MaxValue ? _addressCount : FailuresInARow + 1;
        return FailuresInARow % _addressCount == 0 ? _backoff.NextDelay() : TimeSpan.Zero;
    }
}
