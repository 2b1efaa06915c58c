using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Deploy.Tests;

/// <summary>run.sh as a person runs it: this machine shows up on the dashboard, and Ctrl+C (SIGTERM here) stops every process it started.</summary>
public sealed class RunScriptTests
{
    /// <summary>A web port whose next port (the agents' gRPC) is free too.</summary>
    private static int FreePortPair()
    {
        while (true)
        {
            var port = FreePort.Next();
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port + 1);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    [Fact]
    public async Task TheHubAndASeparateAgentProcessShowThisMachineAndStopTogether()
    {
        var port = FreePortPair();
        var start = new ProcessStartInfo("bash", ["run.sh", "--no-build", "--agent-process", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var script = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        script.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        script.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            // The fleet snapshot lists this host, sent by the agent process (the hub's built-in agent is off).
            await Deadline.Until(async () => (await http.GetFromJsonAsync<JsonElement>("api/fleet")).GetArrayLength() > 0,
                "this machine appears in the fleet", TimeSpan.FromSeconds(60));
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/").WithTimeout()).StatusCode);
            var machines = await http.GetFromJsonAsync<JsonElement>("api/machines").WithTimeout();
            Assert.Equal(1, machines.GetArrayLength());
        }
        catch (Exception ex) when (ex is TimeoutException or HttpRequestException)
        {
            lock (output)
            {
                throw new TimeoutException($"{ex.Message}\nrun.sh said:\n{output}", ex);
            }
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", script.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().WithTimeout();
        }
        await script.WaitForExitAsync().WithTimeout();
        Assert.Equal(143, script.ExitCode);
        // Nothing it started is left listening.
        await Deadline.Until(async () =>
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port + 1);
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        }, "the hub's gRPC port is closed");
    }

    [Fact]
    public async Task AnUnknownOptionIsRefusedWithWhatToDo()
    {
        var result = await Tool.RunAsync("bash", ["run.sh", "--prot", "5000"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown option '--prot'", result.Stderr, StringComparison.Ordinal);
    }
}
