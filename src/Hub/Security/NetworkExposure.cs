using System.Net;
using Microsoft.Extensions.Options;
using SysMon.Hub.Observability;

namespace SysMon.Hub.Security;

/// <summary>
/// The hub does not yet authenticate agents or people, so it must not be reachable from the network
/// by accident: it refuses to start on a non-loopback address unless
/// <c>Security:AllowUnauthenticatedNetwork</c> says so, and then says so loudly at every start and in
/// /metrics. The README's run command binds localhost and is unaffected.
/// </summary>
public static class NetworkExposure
{
    /// <summary>The configured listening URLs (Kestrel endpoints and <c>urls</c>) that are not loopback. Pure.</summary>
    public static IReadOnlyList<string> ExposedUrls(IConfiguration configuration)
    {
        var urls = configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Select(endpoint => endpoint["Url"])
            .Concat((configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .OfType<string>()
            .Where(url => url.Length > 0);
        return [.. urls.Where(url => !IsLoopback(url))];
    }

    /// <summary>True for localhost, 127.0.0.0/8 and ::1; false for wildcards (*, +, 0.0.0.0, [::]), names and other addresses. Pure.</summary>
    public static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(WithParsableWildcards(url), UriKind.Absolute, out var uri))
        {
            return false; // unparsable: assume the worst
        }
        if (uri.IsLoopback)
        {
            return true;
        }
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Kestrel's "*" and "+" hosts (any address) as "0.0.0.0", which Uri can parse. Pure.</summary>
    public static string WithParsableWildcards(string url) =>
        url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);

    /// <summary>Refuses to start, or warns, per the rules above.</summary>
    public static WebApplication CheckNetworkExposure(this WebApplication app)
    {
        var exposed = ExposedUrls(app.Configuration);
        if (exposed.Count == 0)
        {
            return app;
        }
        var allowed = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.AllowUnauthenticatedNetwork;
        var where = string.Join(", ", exposed);
        if (!allowed)
        {
            var message =
                $"Refusing to listen on {where}: this hub has no authentication yet, and anyone who can reach it could read " +
                "every process and command line of the fleet and publish fake machines. Bind to localhost, or put the hub on a " +
                "trusted network and set Security__AllowUnauthenticatedNetwork=true to accept the risk (docs/security.md).";
            app.Logger.LogCritical("{Message}", message);
            throw new InvalidOperationException(message);
        }
        app.Services.GetRequiredService<HubMetrics>().UnauthenticatedNetwork = true;
        app.Logger.LogWarning(
            "UNAUTHENTICATED HUB ON THE NETWORK: listening on {Urls} with no authentication (Security:AllowUnauthenticatedNetwork=true). " +
            "Anyone who can reach these ports can read every process of the fleet and publish samples. Keep it on a trusted network.",
            where);
        return app;
    }
}
