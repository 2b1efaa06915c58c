using System.Net;
using System.Net.Sockets;

namespace SysMon.TestSupport;

/// <summary>
/// A minimal TCP load balancer on loopback, active-passive: each new connection goes to the first
/// backend that accepts it. A backend that dies takes its connections with it; clients that reconnect
/// land on the next live one. This is the "one load-balancer address" users put in front of several
/// hubs, made deterministic so a test knows which hub a browser is on.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IReadOnlyList<Uri> _backends;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public Uri Url { get; }

    /// <summary>Backend each accepted connection went to, in order.</summary>
    public List<Uri> Routed { get; } = [];

    public TcpProxy(params Uri[] backends)
    {
        _backends = backends;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            foreach (var backend in _backends)
            {
                using var upstream = new TcpClient();
                try
                {
                    await upstream.ConnectAsync(backend.Host, backend.Port, _stop.Token);
                }
                catch (SocketException)
                {
                    continue; // dead backend: try the next one
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                lock (Routed)
                {
                    Routed.Add(backend);
                }
                using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var down = Pump(client.GetStream(), upstream.GetStream(), both);
                var up = Pump(upstream.GetStream(), client.GetStream(), both);
                await Task.WhenAny(down, up);
                await both.CancelAsync();
                return;
            }
        }
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, CancellationTokenSource both)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, both.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), both.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // one side went away: the other is closed by the caller
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
