using System.Globalization;

namespace SysMon.TestSupport;

/// <summary>A hub started from its build output, listening on free loopback ports.</summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    public int WebPort { get; }
    public int GrpcPort { get; }
    public Uri WebUrl => new($"http://127.0.0.1:{WebPort}/");
    public Uri GrpcUrl => new($"http://127.0.0.1:{GrpcPort}/");
    public string Output => _process.Output;
    public ChildProcess Process => _process;

    private HubProcess(ChildProcess process, int webPort, int grpcPort)
    {
        _process = process;
        WebPort = webPort;
        GrpcPort = grpcPort;
    }

    /// <summary>Starts a hub and waits until /healthz answers.</summary>
    /// <param name="name">Instance id, shown in logs.</param>
    /// <param name="redis">Redis connection string, or null for a single in-memory hub.</param>
    /// <param name="settings">More configuration, in environment-variable form (e.g. <c>EmbeddedAgent__Enabled</c>).</param>
    /// <param name="webPort">The web port; a free one when null (a restarted hub takes its predecessor's).</param>
    /// <param name="grpcPort">The gRPC port; a free one when null.</param>
    public static async Task<HubProcess> StartAsync(string name, string? redis, IDictionary<string, string?>? settings = null,
        int? webPort = null, int? grpcPort = null)
    {
        webPort ??= FreePort.Next();
        grpcPort ??= FreePort.Next();
        var environment = new Dictionary<string, string?>
        {
            ["Kestrel__Endpoints__Web__Url"] = $"http://127.0.0.1:{webPort}",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Hub__InstanceId"] = name,
            ["EmbeddedAgent__Enabled"] = "false",
            // Most end-to-end tests are about streams, failover and viewers, with simulated agents that do not
            // enroll; AgentEnrollmentTests and the default-hub tests set "Required" (the hub's default) themselves.
            ["Security__AgentAuthentication"] = "Off",
            ["Logging__LogLevel__Default"] = "Information",
        };
        if (redis is not null)
        {
            environment["ConnectionStrings__Redis"] = redis;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }
        var process = ChildProcess.Start(name, "dotnet", [RepoPaths.HubDll], environment);
        var hub = new HubProcess(process, webPort.Value, grpcPort.Value);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await Deadline.Until(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"hub {name} exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)}");
                }
                using var response = await http.GetAsync(new Uri(hub.WebUrl, "healthz"));
                return response.IsSuccessStatusCode;
            }, $"hub {name} answers /healthz", TimeSpan.FromSeconds(60));
        }
        catch (Exception ex)
        {
            var output = process.Output;
            await process.DisposeAsync();
            throw new InvalidOperationException($"Hub {name} did not start: {ex.Message}\n{output}", ex);
        }
        return hub;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    public override string ToString() => _process.ToString();
}
