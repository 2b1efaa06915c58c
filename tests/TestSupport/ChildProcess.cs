using System.Diagnostics;
using System.Text;

namespace SysMon.TestSupport;

/// <summary>
/// A real program started by a test: its output is kept for the failure message, and it is
/// killed (with its children) when the test ends, whatever happened.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public string Name { get; }

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // A developer's own settings must not leak into a test's processes.
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment.Remove("ConnectionStrings__Redis");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public int Id => _process.Id;

    /// <summary>Writes <paramref name="line"/> to the process's standard input and closes it (a password, for example).</summary>
    public async Task WriteInputAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        _process.StandardInput.Close();
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Sends SIGTERM (what systemd and Kubernetes send) and waits for the exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = Posix.kill(_process.Id, Posix.SIGTERM);
        }
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL, as the OOM killer or a pulled plug would: no chance to say goodbye.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits for the process to exit by itself.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
    }

    public override string ToString() => $"{Name} (pid {_process.Id}) output:\n{Output}";

    private static class Posix
    {
        public const int SIGTERM = 15;

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int sig);
    }
}
