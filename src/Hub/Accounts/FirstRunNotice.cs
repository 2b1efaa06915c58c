using Microsoft.Extensions.Options;
using SysMon.Hub.Observability;
using SysMon.Hub.Security;

namespace SysMon.Hub.Accounts;

/// <summary>
/// Says at start how people get in: while no user exists, only this host is served and the setup code is
/// printed here; with <c>Security:AllowUnauthenticatedNetwork</c>, a loud warning at every start. Also
/// starts listening for other hubs' session revocations.
/// </summary>
public sealed class FirstRunNotice(
    FirstRun firstRun,
    SessionRevocations revocations,
    IOptions<SecurityOptions> security,
    HubMetrics metrics,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<FirstRunNotice> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (security.Value.AllowUnauthenticatedNetwork)
        {
            metrics.UnauthenticatedNetwork = true;
            logger.LogWarning(
                "ANONYMOUS VIEWERS ALLOWED (Security:AllowUnauthenticatedNetwork=true): anyone who can reach this hub can read every " +
                "process and command line of the fleet without signing in. Keep it on a trusted network, or create users and turn this off.");
        }
        if (security.Value.AgentAuthentication == AgentAuthenticationMode.Off)
        {
            logger.LogWarning(
                "AGENTS ARE NOT AUTHENTICATED (Security:AgentAuthentication=Off): anyone who reaches the gRPC port can publish " +
                "machines and samples, under any machine id.");
        }
        await revocations.ListenAsync(stoppingToken);
        await WhenStartedAsync(stoppingToken);
        bool? hasUsers;
        while ((hasUsers = await firstRun.HasUsersAsync()) is null)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); // Redis down: say it once it can tell
        }
        if (hasUsers == true)
        {
            return;
        }
        var web = DashboardUrl(configuration["Kestrel:Endpoints:Web:Url"]);
        if (security.Value.Oidc.Enabled)
        {
            logger.LogWarning(
                "No users yet; single sign-on is on, so everyone signs in through {Provider}. A local admin (for when the provider is down) " +
                "can be created at {SetupUrl} on this host with the setup code {SetupCode}, or with 'SysMon.Hub users add NAME --role admin'.",
                security.Value.Oidc.DisplayName, web + "/#/setup", firstRun.SetupCode);
            return;
        }
        var exposed = NetworkExposure.ExposedUrls(configuration);
        logger.LogWarning(
            "No users yet: the dashboard is open without sign-in to this host only ({Url})" +
            (exposed.Count > 0 ? $"; requests from other hosts to {string.Join(", ", exposed)} get 401 until then" : "") +
            ". To require sign-in, create the first admin: open {SetupUrl} here and enter the setup code {SetupCode}, " +
            "or run 'SysMon.Hub users add NAME --role admin' against the same Redis.",
            web, web + "/#/setup", firstRun.SetupCode);
    }

    /// <summary>The web endpoint as a browser on this host would open it: a wildcard bind address becomes localhost. Pure.</summary>
    internal static string DashboardUrl(string? endpointUrl)
    {
        var url = string.IsNullOrWhiteSpace(endpointUrl) ? "http://localhost:5000" : endpointUrl;
        if (!Uri.TryCreate(NetworkExposure.WithParsableWildcards(url), UriKind.Absolute, out var uri))
        {
            return url;
        }
        var builder = new UriBuilder(uri);
        if (builder.Host is "0.0.0.0" or "[::]" or "::")
        {
            builder.Host = "localhost";
        }
        return builder.Uri.GetLeftPart(UriPartial.Authority);
    }

    private Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }
}
