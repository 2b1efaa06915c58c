using System.Net;

namespace SysMon.Hub.Accounts;

/// <summary>
/// Until the first user exists, the hub serves requests from this host only, without sign-in: the
/// README's run command shows the dashboard with no setup, and nothing is exposed that a local user
/// could not read from /proc anyway. "From this host" is strict: a loopback peer, a loopback Host
/// header (so a DNS-rebound name cannot reach it from a web page), and no proxy headers (a reverse
/// proxy on this host forwards other hosts' requests over loopback).
/// </summary>
public static class LocalAccess
{
    // X-Original-For: what ASP.NET Core leaves once it has taken the client from a trusted proxy's X-Forwarded-For.
    private static readonly string[] ProxyHeaders = ["X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-IP", "X-Original-For"];

    public static bool IsFromThisHost(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } peer || !IPAddress.IsLoopback(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer))
        {
            return false;
        }
        if (ProxyHeaders.Any(context.Request.Headers.ContainsKey))
        {
            return false;
        }
        return IsLoopbackHost(context.Request.Host.Host);
    }

    /// <summary>"localhost", "*.localhost", 127.0.0.0/8 and ::1. Pure.</summary>
    public static bool IsLoopbackHost(string host)
    {
        host = host.Trim('[', ']').TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }
}

/// <summary>
/// Whether the hub is still on its first run (no user yet), and the one-time code that lets the person
/// at this host's console create the first admin from the dashboard. The code keeps another local user
/// or a web page that reaches localhost from claiming the hub: only whoever reads the hub's log has it.
/// </summary>
public sealed class FirstRun(IUserStore users, TimeProvider time)
{
    private volatile bool _hasUsers;
    private long _recheckAfter; // a TimeProvider timestamp; 0 before the first answer

    /// <summary>A fresh code per hub process, shown in its log: "ABCDE-FGHIJ".</summary>
    public string SetupCode { get; } = NewCode();

    /// <summary>
    /// True once any user exists (then for good: the last admin cannot be deleted); null while the store
    /// cannot answer, which callers treat as "cannot tell who may look" (503), never as "no users". Asked
    /// at most once a second.
    /// </summary>
    public async ValueTask<bool?> HasUsersAsync()
    {
        if (_hasUsers)
        {
            return true;
        }
        var now = time.GetTimestamp();
        var recheckAfter = Interlocked.Read(ref _recheckAfter);
        if (recheckAfter != 0 && now < recheckAfter)
        {
            return false;
        }
        try
        {
            _hasUsers = await users.AnyAsync();
            Interlocked.Exchange(ref _recheckAfter, now + time.TimestampFrequency);
            return _hasUsers;
        }
        catch (Exception ex) when (Registry.RedisOutage.Is(ex))
        {
            return null;
        }
    }

    public void UsersExist() => _hasUsers = true;

    public bool IsSetupCode(string? code) =>
        code is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(Canonical(code)), System.Text.Encoding.ASCII.GetBytes(Canonical(SetupCode)));

    private static string Canonical(string code) =>
        new([.. code.Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant)]);

    private static string NewCode()
    {
        var text = Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(7))[..10];
        return text[..5] + "-" + text[5..];
    }
}
