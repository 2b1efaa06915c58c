using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Agent.Identity;
using SysMon.Agent.Streaming;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Cli;

/// <summary>
/// <c>--check</c>: dials every configured hub, sends a probe hello with this agent's identity and token, and says
/// for each whether the hub accepted it or exactly why not. What an operator runs after installing an agent.
/// </summary>
internal static class CheckCommand
{
    /// <summary>How long one hub may take to answer, connection included.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Checks every hub with the hello this host's agent would send; 0 when all accepted, 1 otherwise.</summary>
    public static Task<int> RunAsync(IHost host, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var options = host.Services.GetRequiredService<IOptions<AgentOptions>>().Value;
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SysMon.Agent.Check");
        var sampler = host.Services.GetRequiredService<Sampler>();
        var machineId = MachineIdentity.Resolve(options.MachineId, options.EtcRoot, options.StateDirectory, logger);
        var hello = SystemInfo.ReadPlatformHello(options, machineId, sampler.SampleIntervalMs, sampler.CollectorNames);
        return RunAsync(options, hello, output, cancellationToken);
    }

    /// <summary>Checks every hub of <paramref name="options"/>; 0 when all accepted, 1 otherwise.</summary>
    public static async Task<int> RunAsync(AgentOptions options, Hello hello, TextWriter output, CancellationToken cancellationToken)
    {
        // What streaming would present: a saved credential (an enrolled agent), else the configured token.
        var token = new Identity.AgentCredentialFile(options.StateDirectory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .LoadUnlessConfigured(options.Token) ?? options.Token;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hello);
        ArgumentNullException.ThrowIfNull(output);
        var failed = 0;
        foreach (var hub in HubAddresses.Parse(options.HubUrl, out _))
        {
            var result = await CheckAsync(hub, hello, token, HubTls.From(options), cancellationToken).ConfigureAwait(false);
            failed += result.Accepted ? 0 : 1;
            await output.WriteLineAsync(Format(hub, result).AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return failed == 0 ? 0 : 1;
    }

    /// <summary>One hub's answer: accepted with its settings, or refused with the reason.</summary>
    internal readonly record struct Result(bool Accepted, string Detail, TimeSpan Elapsed);

    /// <summary>Sends a probe hello to <paramref name="hub"/> and waits for its Settings.</summary>
    internal static async Task<Result> CheckAsync(Uri hub, Hello hello, string? token, HubTls tls, CancellationToken cancellationToken)
    {
        var probe = hello.Clone();
        probe.Probe = true;
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        using var channel = HubChannel.Create(hub, tls);
        try
        {
            using var call = new AgentIngest.AgentIngestClient(channel).Connect(HubChannel.Headers(token), cancellationToken: deadline.Token);
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = probe }, deadline.Token).ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(deadline.Token).ConfigureAwait(false))
            {
                if (call.ResponseStream.Current.Settings is { } settings)
                {
                    await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                    return new Result(true, string.Create(CultureInfo.InvariantCulture,
                        $"accepted {hello.MachineId}: sample interval {settings.SampleIntervalMs} ms, top {settings.TopProcesses} processes"),
                        Stopwatch.GetElapsedTime(started));
                }

                if (call.ResponseStream.Current.Reconnect is { } reconnect)
                {
                    return new Result(false, $"the hub is going away ({reconnect.Reason}); try another hub", Stopwatch.GetElapsedTime(started));
                }
            }

            return new Result(false, "the hub closed the stream without answering the hello", Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Result(false, $"no answer within {Deadline.TotalSeconds:0} s", Stopwatch.GetElapsedTime(started));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && !cancellationToken.IsCancellationRequested)
        {
            return new Result(false, $"no answer within {Deadline.TotalSeconds:0} s", Stopwatch.GetElapsedTime(started));
        }
        catch (RpcException e)
        {
            return new Result(false, Explain(e.StatusCode, e.Status.Detail, e.Status.DebugException ?? e.InnerException), Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException)
        {
            return new Result(false, Explain(null, e.Message, e), Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The hub's refusal in words an operator can act on, keeping the status and detail.</summary>
    internal static string Explain(StatusCode? status, string detail, Exception? cause)
    {
        var socket = FindInner<SocketException>(cause);
        var http2 = detail.Contains("HTTP/2", StringComparison.OrdinalIgnoreCase) || detail.Contains("HTTP/1", StringComparison.OrdinalIgnoreCase)
            || detail.Contains("HTTP status code", StringComparison.OrdinalIgnoreCase);
        var hint = (status, socket?.SocketErrorCode) switch
        {
            (_, SocketError.ConnectionRefused) => "nothing listens there: is the hub running, and is this its gRPC port (default 5001)?",
            (_, SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData) => "the host name does not resolve",
            (_, SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable) => "the host cannot be reached (firewall or routing)",
            (StatusCode.Unauthenticated, _) => "the hub refused this agent's credentials: check Token/TokenFile",
            (StatusCode.PermissionDenied, _) => "the hub does not let this agent publish",
            (StatusCode.InvalidArgument, _) => "the hub refused the hello",
            (StatusCode.Unimplemented, _) => "this endpoint is not a SysMon hub's ingest port",
            _ when http2 => "this endpoint does not speak gRPC over HTTP/2: the hub's web port (5000) is not its gRPC port (5001)",
            _ when detail.Contains("SSL", StringComparison.OrdinalIgnoreCase) || detail.Contains("TLS", StringComparison.OrdinalIgnoreCase) =>
                "TLS failed: https:// needs a hub certificate this host trusts; http:// talks to a plaintext hub",
            (StatusCode.Unavailable, _) => "the hub is unavailable (starting, draining, or not reachable)",
            _ => null,
        };
        var text = status is null ? detail : $"{status}: {detail}";
        return hint is null ? text : $"{hint} ({text})";
    }

    private static string Format(Uri hub, Result result) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(result.Accepted ? "ok  " : "FAIL")}  {hub.OriginalString}  {result.Detail}  [{result.Elapsed.TotalMilliseconds:0} ms]");

    private static T? FindInner<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
