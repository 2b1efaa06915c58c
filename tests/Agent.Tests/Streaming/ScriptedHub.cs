using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Streaming;

/// <summary>
/// A real gRPC server speaking the ingest contract on a loopback port, scripted to misbehave in ways the
/// real hub is never made to (acks withheld forever, killed mid-stream on cue), so the agent's replay and
/// failover rules can be tested exactly. The same behaviours against real hub processes are covered by
/// tests/EndToEnd.Tests (FailoverTests).
/// </summary>
public sealed class ScriptedHub : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly CancellationTokenSource _kill = new();
    private CancellationTokenSource _reconnect = new();
    private volatile bool _acks = true;
    private int _connections;

    /// <summary>The address agents dial.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every sample received, in arrival order, with the number of the connection it came on (from 1).</summary>
    public ConcurrentQueue<(ulong Sequence, bool Replayed, int Connection, ulong DroppedTotal)> Received { get; } = new();

    /// <summary>The highest sequence acknowledged.</summary>
    public ulong Acked { get; private set; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Whether samples are acknowledged as they arrive; off, the hub swallows them like one waiting for Redis.</summary>
    public bool Acks { get => _acks; set => _acks = value; }

    public ulong[] Sequences => Received.Select(r => r.Sequence).ToArray();

    /// <summary>Every hello received, probes included, with the authorization header it came with.</summary>
    public ConcurrentQueue<(Hello Hello, string? Authorization)> Hellos { get; } = new();

    /// <summary>When set, streams without "authorization: Bearer {token}" are refused with UNAUTHENTICATED.</summary>
    public string? RequiredToken { get; set; }

    public static async Task<ScriptedHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var hub = new ScriptedHub();
        builder.Services.AddSingleton(hub);
        var app = builder.Build();
        hub._app = app;
        app.MapGrpcService<Service>();
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        hub.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return hub;
    }

    /// <summary>Tells every agent connected now to go elsewhere, as a hub that is shutting down does.</summary>
    public void SendReconnect() => Interlocked.Exchange(ref _reconnect, new CancellationTokenSource()).Cancel();

    /// <summary>Resets every stream and stops listening, as close to SIGKILL as a process can do to part of itself.</summary>
    public async Task KillAsync()
    {
        await _kill.CancelAsync();
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        await _app.StopAsync(now.Token).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _kill.Dispose();
        _reconnect.Dispose();
    }

    private sealed class Service(ScriptedHub hub) : AgentIngest.AgentIngestBase
    {
        public override async Task Connect(
            IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<HubMessage> responseStream, ServerCallContext context)
        {
            using var killed = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, hub._kill.Token);
            if (!await requestStream.MoveNext(killed.Token) || requestStream.Current.PayloadCase != AgentMessage.PayloadOneofCase.Hello)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "hello first"));
            }

            var authorization = context.RequestHeaders.GetValue("authorization");
            hub.Hellos.Enqueue((requestStream.Current.Hello, authorization));
            if (hub.RequiredToken is { } token && authorization != "Bearer " + token)
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, "unknown agent token"));
            }

            if (requestStream.Current.Hello.Probe)
            {
                await responseStream.WriteAsync(new HubMessage { Settings = new Settings { SampleIntervalMs = 1000, TopProcesses = 10 } });
                return;
            }

            var connection = Interlocked.Increment(ref hub._connections);
            using var writeLock = new SemaphoreSlim(1, 1);
            await WriteAsync(new HubMessage { Settings = new Settings() });
            using var onReconnect = Volatile.Read(ref hub._reconnect).Token.Register(() =>
                _ = WriteAsync(new HubMessage { Reconnect = new Reconnect { Reason = "hub shutting down" } }));
            try
            {
                while (await requestStream.MoveNext(killed.Token))
                {
                    var sample = requestStream.Current.Sample;
                    hub.Received.Enqueue((sample.Sequence, sample.Replayed, connection, sample.BufferDroppedTotal));
                    if (hub.Acks)
                    {
                        hub.Acked = Math.Max(hub.Acked, sample.Sequence);
                        await WriteAsync(new HubMessage { Ack = new Ack { Sequence = sample.Sequence } });
                    }
                }
            }
            catch (OperationCanceledException) when (hub._kill.IsCancellationRequested)
            {
                context.GetHttpContext().Abort();
            }

            async Task WriteAsync(HubMessage message)
            {
                await writeLock.WaitAsync(killed.Token);
                try
                {
                    await responseStream.WriteAsync(message, killed.Token);
                }
                finally
                {
                    writeLock.Release();
                }
            }
        }
    }
}
