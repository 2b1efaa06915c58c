using System.Net;
using System.Net.Sockets;

namespace SysMon.TestSupport;

/// <summary>Free TCP ports on loopback, so parallel tests and a developer's running hub never collide.</summary>
public static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        // Don't hand the same port twice in one run even if the OS would reuse it before the first taker binds.
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
