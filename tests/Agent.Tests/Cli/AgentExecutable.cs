using System.Diagnostics;

namespace SysMon.Agent.Tests.Cli;

/// <summary>The built sysmon-agent.dll, run the way an operator runs it.</summary>
internal static class AgentExecutable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static string Dll
    {
        get
        {
            // The agent's own build output (UseArtifactsOutput: artifacts/bin/<project>/<configuration>/), not the
            // copy next to the tests: this project also references ASP.NET Core for its fake hubs, so the Hosting
            // assemblies the agent needs come from that shared framework here and are not copied beside the tests.
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(testOutput.Parent!.Parent!.FullName, "SysMon.Agent", testOutput.Name, "sysmon-agent.dll");
            Assert.True(File.Exists(path), $"{path} is missing: build the solution first.");
            Assert.True(File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")), "sysmon-agent.runtimeconfig.json is missing.");
            return path;
        }
    }

    /// <summary>Starts the agent with <paramref name="args"/>; the host's own Agent__ settings are kept out.</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Agent__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs the agent to its exit (killed and failed after <see cref="Deadline"/>).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var list = args.ToList();
        using var process = Start(list, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sysmon-agent {string.Join(' ', list)} did not exit within {Deadline}.");
        }

        return (process.ExitCode, await stdout.WaitAsync(Deadline), await stderr.WaitAsync(Deadline));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing with <paramref name="what"/> after <see cref="Deadline"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var started = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(started.Elapsed < Deadline, $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }
}
