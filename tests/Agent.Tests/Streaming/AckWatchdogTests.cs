using SysMon.Agent.Streaming;

namespace SysMon.Agent.Tests.Streaming;

public class AckWatchdogTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void NothingSentIsNeverOverdue()
    {
        var watchdog = new AckWatchdog(s_timeout);

        Assert.False(watchdog.IsOverdue(At(3600)));
    }

    [Fact]
    public void ASampleUnacknowledgedForTheTimeoutIsOverdue()
    {
        var watchdog = new AckWatchdog(s_timeout);

        watchdog.OnSent(1, At(10));

        Assert.False(watchdog.IsOverdue(At(39.9)));
        Assert.True(watchdog.IsOverdue(At(40)));
    }

    [Fact]
    public void TheClockStartsAtTheOldestUnacknowledgedWriteNotTheNewest()
    {
        var watchdog = new AckWatchdog(s_timeout);

        for (var i = 1; i <= 30; i++)
        {
            watchdog.OnSent((ulong)i, At(i));
        }

        Assert.True(watchdog.IsOverdue(At(31)));
    }

    [Fact]
    public void AnAckOfEverythingStopsTheClock()
    {
        var watchdog = new AckWatchdog(s_timeout);
        watchdog.OnSent(1, At(0));
        watchdog.OnSent(2, At(1));

        watchdog.OnAck(2, At(2));

        Assert.False(watchdog.IsOverdue(At(1000)));
    }

    [Fact]
    public void AnAckOfSomeRestartsTheClockForTheRest()
    {
        var watchdog = new AckWatchdog(s_timeout);
        watchdog.OnSent(1, At(0));
        watchdog.OnSent(2, At(1));

        watchdog.OnAck(1, At(20));

        Assert.False(watchdog.IsOverdue(At(49)));
        Assert.True(watchdog.IsOverdue(At(50)));
    }

    [Fact]
    public void ARepeatedAckIsNoProgress()
    {
        var watchdog = new AckWatchdog(s_timeout);
        watchdog.OnSent(1, At(0));
        watchdog.OnSent(2, At(1));
        watchdog.OnAck(1, At(5));

        watchdog.OnAck(1, At(30));
        watchdog.OnAck(0, At(31));

        Assert.True(watchdog.IsOverdue(At(35)));
    }

    [Fact]
    public void AWriteAfterEverythingWasAcknowledgedStartsAFreshClock()
    {
        var watchdog = new AckWatchdog(s_timeout);
        watchdog.OnSent(1, At(0));
        watchdog.OnAck(1, At(1));

        watchdog.OnSent(2, At(100));

        Assert.False(watchdog.IsOverdue(At(129)));
        Assert.True(watchdog.IsOverdue(At(130)));
    }

    [Fact]
    public void AZeroTimeoutTurnsTheCheckOff()
    {
        var watchdog = new AckWatchdog(TimeSpan.Zero);

        watchdog.OnSent(1, At(0));

        Assert.False(watchdog.IsOverdue(At(1_000_000)));
    }
}
