using SysMon.Agent.Streaming;

namespace SysMon.Agent.Tests.Streaming;

public class HubRotationTests
{
    // A draw near 1 makes every backoff delay its ceiling: 1 s, 2 s, 4 s …
    private static HubRotation Create(int addresses) =>
        new(addresses, new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => 0.999999));

    private static double Seconds(TimeSpan delay) => Math.Round(delay.TotalSeconds);

    [Fact]
    public void TheFirstAddressIsDialledFirst()
    {
        Assert.Equal(0, Create(3).Current);
    }

    [Fact]
    public void AddressesAreTakenRoundRobin()
    {
        var rotation = Create(3);
        var dialled = new List<int>();

        for (var i = 0; i < 7; i++)
        {
            rotation.Advance(ConnectionOutcome.Broke);
            dialled.Add(rotation.Current);
        }

        Assert.Equal([1, 2, 0, 1, 2, 0, 1], dialled);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AfterAConnectionThatWorkedTheNextAddressIsDialledAtOnce(bool redirected)
    {
        var rotation = Create(2);
        var outcome = redirected ? ConnectionOutcome.Redirected : ConnectionOutcome.Broke;

        Assert.Equal(TimeSpan.Zero, rotation.Advance(outcome));
        Assert.Equal(1, rotation.Current);
    }

    [Fact]
    public void FailuresMoveOnAtOnceUntilEveryAddressHasFailedInARow()
    {
        var rotation = Create(3);

        var delays = Enumerable.Range(0, 9).Select(_ => Seconds(rotation.Advance(ConnectionOutcome.Failed))).ToArray();

        // One backoff per full round of failures, growing round by round.
        Assert.Equal([0.0, 0, 1, 0, 0, 2, 0, 0, 4], delays);
    }

    [Fact]
    public void WithOneAddressAWorkingConnectionIsRetriedAtOnceAndAFailureBacksOff()
    {
        var rotation = Create(1);

        Assert.Equal(TimeSpan.Zero, rotation.Advance(ConnectionOutcome.Broke));
        Assert.Equal(0, rotation.Current);
        Assert.Equal(1, Seconds(rotation.Advance(ConnectionOutcome.Failed)));
        Assert.Equal(2, Seconds(rotation.Advance(ConnectionOutcome.Failed)));
    }

    [Fact]
    public void AKilledHubCostsOneImmediateRedialOfTheNextAddress()
    {
        var rotation = Create(2);

        var afterKill = rotation.Advance(ConnectionOutcome.Broke);

        Assert.Equal(TimeSpan.Zero, afterKill);
        Assert.Equal(1, rotation.Current);
    }

    [Fact]
    public void AConnectionThatWorkedStartsTheBackoffAfresh()
    {
        var rotation = Create(1);
        for (var i = 0; i < 5; i++)
        {
            rotation.Advance(ConnectionOutcome.Failed);
        }

        rotation.Advance(ConnectionOutcome.Broke);

        Assert.Equal(0, rotation.FailuresInARow);
        Assert.Equal(1, Seconds(rotation.Advance(ConnectionOutcome.Failed)));
    }

    [Fact]
    public void ARedirectIsNoFailure()
    {
        var rotation = Create(2);
        rotation.Advance(ConnectionOutcome.Failed);

        Assert.Equal(TimeSpan.Zero, rotation.Advance(ConnectionOutcome.Redirected));
        Assert.Equal(0, rotation.FailuresInARow);
        Assert.Equal(TimeSpan.Zero, rotation.Advance(ConnectionOutcome.Failed));
        Assert.Equal(1, Seconds(rotation.Advance(ConnectionOutcome.Failed)));
    }

    [Fact]
    public void ThereMustBeAnAddress()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(0));
    }

    [Fact]
    public void AReconnectRequestIsARedirectWhateverElseHappened()
    {
        Assert.Equal(ConnectionOutcome.Redirected,
            HubRotation.Classify(redirected: true, ackTimedOut: false, answered: true, acknowledged: false, HubRotation.MinimumRedirectAge));
    }

    [Fact]
    public void AReconnectRequestRightAfterConnectingIsAFailure()
    {
        // A hub that redirects every stream at once must not make its agents redial in a tight loop.
        Assert.Equal(ConnectionOutcome.Failed,
            HubRotation.Classify(redirected: true, ackTimedOut: false, answered: true, acknowledged: true, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void AHubThatNeverAcknowledgesFailedEvenIfItWasUpLong()
    {
        Assert.Equal(ConnectionOutcome.Failed,
            HubRotation.Classify(redirected: false, ackTimedOut: true, answered: true, acknowledged: true, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void AHubThatStoredSamplesAndThenBrokeWorked()
    {
        Assert.Equal(ConnectionOutcome.Broke,
            HubRotation.Classify(redirected: false, ackTimedOut: false, answered: true, acknowledged: true, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AHubThatAnsweredAndLivedLongWithoutAcknowledgingWorked()
    {
        // A hub waiting for Redis acknowledges nothing, yet its death must not cost a backoff.
        Assert.Equal(ConnectionOutcome.Broke,
            HubRotation.Classify(redirected: false, ackTimedOut: false, answered: true, acknowledged: false, HubRotation.HealthyConnectionAge));
    }

    [Fact]
    public void AHubThatFailsRightAfterTheHelloFailed()
    {
        // Otherwise a hub that refuses every stream at once would be redialled in a tight loop.
        Assert.Equal(ConnectionOutcome.Failed,
            HubRotation.Classify(redirected: false, ackTimedOut: false, answered: true, acknowledged: false, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void AHubThatNeverAnsweredFailed()
    {
        Assert.Equal(ConnectionOutcome.Failed,
            HubRotation.Classify(redirected: false, ackTimedOut: false, answered: false, acknowledged: false, TimeSpan.FromHours(1)));
    }
}
