using System.Net;

namespace SysMon.Hub.Security;

/// <summary>
/// Which of the hub's listening addresses other hosts can reach. Until the first user exists those
/// addresses answer other hosts with 401 (see LocalAccess), and the first-run notice says so.
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

}
