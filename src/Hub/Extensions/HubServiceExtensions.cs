using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;
using Microsoft.AspNetCore.DataProtection;
using SysMon.Hub.Accounts;
using SysMon.Hub.History;
using SysMon.Hub.Ingest;
using SysMon.Hub.Observability;
using SysMon.Hub.Realtime;
using SysMon.Hub.Registry;
using SysMon.Hub.Security;

namespace SysMon.Hub.Extensions;

/// <summary>All of the hub's service registrations.</summary>
public static class HubServiceExtensions
{
    /// <summary>
    /// Defaults that must hold wherever the hub is started from. They sit below every other source, so
    /// appsettings.json, environment variables (<c>Kestrel__Endpoints__Grpc__Url</c>) and the command line
    /// override them; keeping them in code means a binary started outside its folder still opens both ports.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Kestrel:Endpoints:Web:Url"] = "http://localhost:5000",
        ["Kestrel:Endpoints:Web:Protocols"] = "Http1",
        ["Kestrel:Endpoints:Grpc:Url"] = "http://localhost:5001",
        // gRPC over cleartext needs HTTP/2 with prior knowledge, which Kestrel offers only on an HTTP/2-only endpoint.
        ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
    };

    public static WebApplicationBuilder AddHubServices(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = Defaults });
        var services = builder.Services;
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.SectionName);
        services.AddSingleton(TimeProvider.System);
        var instanceId = builder.Configuration[$"{HubOptions.SectionName}:{nameof(HubOptions.InstanceId)}"];
        services.AddSingleton(new HubInstance(string.IsNullOrWhiteSpace(instanceId)
            ? $"{Environment.MachineName}-{Environment.ProcessId}"
            : instanceId));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Pings find agents whose host vanished without closing the TCP connection.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(20);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        });

        services.AddGrpc(grpc =>
        {
            // A full sample is a few KB; anything near this is an agent bug or an attack.
            grpc.MaxReceiveMessageSize = 1024 * 1024;
        });
        services.AddSingleton<SampleBroadcaster>();
        services.AddSingleton<AgentSessions>();
        services.AddSingleton<LocalViewers>();
        var metrics = new HubMetrics();
        services.AddSingleton(metrics);
        services.AddHostedService<FleetPublisher>();
        services.AddHostedService<HubDrain>();
        services.AddSingleton<AgentAuthenticator>();
        services.AddHostedService<CredentialRevocationWatcher>();
        services.AddSingleton<AccountAudit>();
        services.AddOptions<Alerts.AlertOptions>().BindConfiguration(Alerts.AlertOptions.SectionName);
        services.AddSingleton<Alerts.AlertEngine>();
        services.AddHostedService<Alerts.AlertRuleRefresher>();
        services.AddHttpClient<Alerts.AlertChannelSender>(http => http.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<Alerts.AlertNotifier>();
        services.AddHostedService(provider => provider.GetRequiredService<Alerts.AlertNotifier>());
        services.AddSignInRateLimit(builder.Configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions());

        var history = builder.Configuration.GetSection(HistoryOptions.SectionName).Get<HistoryOptions>() ?? new HistoryOptions();
        if (history.Validate() is { } historyProblem)
        {
            throw new InvalidOperationException(historyProblem);
        }
        services.AddSingleton(history);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(history));

        var signalR = services.AddSignalR();
        var health = services.AddHealthChecks();

        var redisConnectionString = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(redisConnectionString))
        {
            services.AddSingleton<IMachineRegistry, InMemoryMachineRegistry>();
            services.AddSingleton<IHistoryStore, InMemoryHistoryStore>();
            services.AddSingleton<IAgentCredentialStore, InMemoryAgentCredentialStore>();
            services.AddSingleton<IUserStore, InMemoryUserStore>();
            services.AddSingleton<IApiTokenStore, InMemoryApiTokenStore>();
            services.AddSingleton<IAuditLog, InMemoryAuditLog>();
            services.AddSingleton<Alerts.InMemoryAlertOutbox>();
            services.AddSingleton<Alerts.IAlertOutbox>(provider => provider.GetRequiredService<Alerts.InMemoryAlertOutbox>());
            services.AddSingleton<Alerts.IAlertStore, Alerts.InMemoryAlertStore>();
            services.AddSingleton<Alerts.IAlertSilences, Alerts.InMemoryAlertSilences>();
            services.AddSingleton<Alerts.IAlertRuleStore, Alerts.InMemoryAlertRuleStore>();
            services.AddSingleton(new SessionRevocations());
        }
        else
        {
            var redisOptions = ConfigurationOptions.Parse(redisConnectionString);
            // Start and keep running while Redis is down; the multiplexer reconnects by itself.
            redisOptions.AbortOnConnectFail = false;
            // Retry every second (the default backs off exponentially): fan-out and storage should resume
            // within seconds of Redis coming back, and held samples wait unacknowledged meanwhile.
            redisOptions.ReconnectRetryPolicy = new LinearRetry(1000);
            redisOptions.ClientName ??= "sysmon-hub";
            // The registry and history have their multiplexer, owned (and disposed) by the container; the
            // backplane has its own, which it disposes itself. Sharing one made shutdown crash: whichever
            // was disposed first left the other unsubscribing on a disposed connection.
            var connection = new Lazy<IConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(redisOptions));
            services.AddSingleton(_ => connection.Value);
            services.AddSingleton<IMachineRegistry, RedisMachineRegistry>();
            services.AddSingleton<IHistoryStore, RedisHistoryStore>();
            services.AddSingleton<IAgentCredentialStore, RedisAgentCredentialStore>();
            services.AddSingleton<IUserStore, RedisUserStore>();
            services.AddSingleton<IApiTokenStore, RedisApiTokenStore>();
            services.AddSingleton<IAuditLog, RedisAuditLog>();
            services.AddSingleton<Alerts.IAlertStore, Alerts.RedisAlertStore>();
            services.AddSingleton<Alerts.IAlertOutbox, Alerts.RedisAlertOutbox>();
            services.AddSingleton<Alerts.IAlertSilences, Alerts.RedisAlertSilences>();
            services.AddSingleton<Alerts.IAlertRuleStore, Alerts.RedisAlertRuleStore>();
            services.AddSingleton(provider => new SessionRevocations(provider.GetRequiredService<IConnectionMultiplexer>()));
            // Session cookies and anti-forgery tokens are sealed with keys every hub must share, or a viewer
            // moved to another hub by the load balancer would be signed out.
            services.AddDataProtection().SetApplicationName("SysMon");
            services.AddSingleton<SharedKeyRing>();
            services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
                .Configure<SharedKeyRing>((keys, ring) => keys.XmlRepository = ring);
            services.AddHostedService<RedisProbe>();
            metrics.RedisConfigured = true;
            signalR.AddStackExchangeRedis(backplane =>
            {
                backplane.Configuration.ChannelPrefix = RedisKeys.SignalRChannelPrefix;
                var backplaneOptions = redisOptions.Clone();
                backplaneOptions.ClientName = redisOptions.ClientName + "-backplane";
                backplane.ConnectionFactory = async log => await ConnectionMultiplexer.ConnectAsync(backplaneOptions, log);
            });
            health.AddCheck("redis", () => connection.Value.IsConnected
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("Redis is not connected"), tags: ["ready"]);
        }
        return builder;
    }
}
