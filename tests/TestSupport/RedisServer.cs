using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;
using Testcontainers.Redis;
using Xunit;

namespace SysMon.TestSupport;

/// <summary>
/// A real Redis for a test class: a Testcontainers container where a Docker engine answers,
/// otherwise the redis-server binary on a free loopback port. Never skips: without either, the
/// test fails with a message saying how to get Redis.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private RedisContainer? _container;
    private ChildProcess? _process;

    // Like a production Redis, this one persists (append-only file), so a stop and restart keeps its data.
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("sysmon-redis-").FullName;

    /// <summary>StackExchange.Redis connection string, e.g. "127.0.0.1:6390".</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>Where the Redis came from, for failure messages.</summary>
    public string Kind { get; private set; } = "";

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        // A fixed host port, so a stopped and restarted Redis comes back where the hubs look for it.
        Port = FreePort.Next();
        if (DockerAnswers())
        {
            _container = new RedisBuilder("redis:7-alpine").WithPortBinding(Port, 6379).WithCommand("--appendonly", "yes").Build();
            await _container.StartAsync().WaitAsync(TimeSpan.FromMinutes(3));
            ConnectionString = $"127.0.0.1:{Port}";
            Kind = "Testcontainers redis:7-alpine";
            return;
        }
        await StartProcessAsync();
    }

    /// <summary>A connection string for a Redis that is not started yet: set up with <see cref="RestartAsync"/> later.</summary>
    public void ReservePort()
    {
        Port = FreePort.Next();
        ConnectionString = $"127.0.0.1:{Port}";
    }

    /// <summary>Stops the redis-server process (a dead Redis for failure tests).</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
        else if (_container is not null)
        {
            await _container.StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>Starts it again on the same port (or for the first time after <see cref="ReservePort"/>).</summary>
    public async Task RestartAsync()
    {
        if (_container is null && _process is null && DockerAnswers())
        {
            _container = new RedisBuilder("redis:7-alpine").WithPortBinding(Port, 6379).Build();
        }
        if (_container is not null)
        {
            await _container.StartAsync().WaitAsync(TimeSpan.FromMinutes(1));
            return;
        }
        await StartProcessAsync();
    }

    private async Task StartProcessAsync()
    {
        var binary = FindRedisServer() ?? throw new InvalidOperationException(
            "These tests need a real Redis and found neither a Docker engine nor redis-server on PATH. " +
            "Install it with `sudo apt-get install redis-server` (Debian/Ubuntu) or start Docker, then run ./test.sh again.");
        _process = ChildProcess.Start("redis-server", binary,
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--dir", _dataDirectory,
            "--protected-mode", "yes",
        ]);
        ConnectionString = $"127.0.0.1:{Port}";
        Kind = $"redis-server ({binary})";
        await Deadline.Until(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited: {_process.Output}");
            }
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            await using var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return read >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }, "redis-server answers PING", TimeSpan.FromSeconds(15));
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp folder is not worth failing a test over
        }
    }

    private static bool DockerAnswers()
    {
        try
        {
            // Null when no engine answered Testcontainers' probe; a cheap test before trying to build a container.
            return TestcontainersSettings.OS.DockerEndpointAuthConfig is not null;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private static string? FindRedisServer()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
