using Grpc.Core;
using Grpc.Net.Client;

namespace SysMon.Agent.Streaming;

/// <summary>How the agent dials a hub: the one channel setup shared by streaming and <c>--check</c>.</summary>
internal static class HubChannel
{
    /// <summary>A channel to <paramref name="hubUrl"/> that notices a silently vanished hub and checks an https:// hub per <paramref name="tls"/>.</summary>
    public static GrpcChannel Create(Uri hubUrl, HubTls tls) =>
        GrpcChannel.ForAddress(hubUrl, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = tls.Validator,
                    ClientCertificates = tls.ClientCertificate is { } client ? [client] : null,
                },
                // Pings notice a hub that vanished without closing the TCP connection (a pulled cable, a
                // killed VM) long before TCP would.
                KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                EnableMultipleHttp2Connections = true,
            },
            DisposeHttpClient = true,
        });

    /// <summary>The ingest call's headers: the agent's token as a bearer credential, when it has one.</summary>
    public static Metadata? Headers(string? token) =>
        string.IsNullOrEmpty(token) ? null : new Metadata { { "authorization", "Bearer " + token } };
}
