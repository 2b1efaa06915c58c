using SysMon.Agent.Streaming;

namespace SysMon.Agent.Tests.Streaming;

public class ReconnectBackoffTests
{
    private static ReconnectBackoff Create(double random) =>
        new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => random);

    [Fact]
    public void CeilingDoublesFromOneSecondUpToThirty()
    {
        var backoff = Create(0.999999);

        var delays = Enumerable.Range(0, 8).Select(_ => Math.Round(backoff.NextDelay().TotalSeconds)).ToArray();

        Assert.Equal([1.0, 2, 4, 8, 16, 30, 30, 30], delays);
    }

    [Fact]
    public void DelayIsTheCeilingScaledByTheRandomDraw()
    {
        var backoff = Create(0.25);
        backoff.NextDelay();
        backoff.NextDelay();

        Assert.Equal(TimeSpan.FromSeconds(1), backoff.NextDelay()); // 0.25 × 4 s
    }

    [Fact]
    public void DelayNeverDropsBelowTheFloor()
    {
        Assert.Equal(ReconnectBackoff.MinimumDelay, Create(0).NextDelay());
    }

    [Fact]
    public void ResetStartsAgainFromTheInitialDelay()
    {
        var backoff = Create(0.999999);
        for (var i = 0; i < 6; i++)
        {
            backoff.NextDelay();
        }

        backoff.Reset();

        Assert.Equal(0, backoff.Attempt);
        Assert.Equal(1, Math.Round(backoff.NextDelay().TotalSeconds));
    }

    [Fact]
    public void ManyAttemptsNeverOverflow()
    {
        var backoff = Create(0.999999);
        for (var i = 0; i < 10_000; i++)
        {
            backoff.NextDelay();
        }

        Assert.InRange(backoff.NextDelay(), TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void TheDefaultJittersWithinTheCeiling()
    {
        var backoff = ReconnectBackoff.CreateDefault();

        Assert.All(Enumerable.Range(0, 100), _ => Assert.InRange(backoff.NextDelay(), TimeSpan.Zero, TimeSpan.FromSeconds(30)));
    }
}
