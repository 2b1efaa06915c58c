namespace SysMon.TestSupport;

/// <summary>Every await in a test has a deadline; synchronisation polls a condition, never sleeps a fixed time.</summary>
public static class Deadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>Awaits <paramref name="task"/> or fails with <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default);

    /// <inheritdoc cref="WithTimeout{T}(Task{T}, TimeSpan?)"/>
    public static Task WithTimeout(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default);

    /// <summary>Polls <paramref name="condition"/> until it holds; throws with <paramref name="what"/> when the deadline passes.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Default;
        var started = System.Diagnostics.Stopwatch.StartNew();
        Exception? last = null;
        while (started.Elapsed < limit)
        {
            try
            {
                if (await condition().WaitAsync(limit))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not TimeoutException)
            {
                last = ex; // e.g. connection refused while a process starts: keep polling
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting until {what}." + (last is null ? "" : $" Last error: {last.Message}"), last);
    }

    /// <inheritdoc cref="Until(Func{Task{bool}}, string, TimeSpan?)"/>
    public static Task Until(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Until(() => Task.FromResult(condition()), what, timeout);
}
