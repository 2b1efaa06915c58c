using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace SysMon.Hub.Security;

/// <summary>
/// Behind a reverse proxy or load balancer every request comes from the proxy's address. Listing the
/// proxies in <c>Security:TrustedProxies</c> makes the hub take the client's address and scheme from their
/// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>: per-address sign-in throttling then meets each
/// client instead of everyone at once, the audit log names the client, and cookies are Secure when the
/// client used HTTPS. Headers from any other peer are ignored, since anyone can send them.
/// </summary>
public static class TrustedProxies
{
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        var proxies = app.Configuration.GetSection($"{SecurityOptions.SectionName}:TrustedProxies").Get<string[]>() ?? [];
        if (proxies.Length == 0)
        {
            return app;
        }
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = 1,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            if (System.Net.IPNetwork.TryParse(proxy, out var network))
            {
                options.KnownIPNetworks.Add(network);
            }
            else if (IPAddress.TryParse(proxy, out var address))
            {
                options.KnownProxies.Add(address);
            }
            else
            {
                throw new InvalidOperationException($"Security:TrustedProxies: '{proxy}' is neither an IP address nor a network (10.0.0.0/8).");
            }
        }
        app.Logger.LogInformation("Client addresses are taken from X-Forwarded-For when the peer is one of {Proxies}", string.Join(", ", proxies));
        app.UseForwardedHeaders(options);
        return app;
    }
}
