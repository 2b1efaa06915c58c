using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SysMon.TestSupport;

/// <summary>
/// The Compose fleet's load balancer, deploy/nginx/nginx.conf, run by the distribution's nginx on loopback as
/// the current user. The test runs that very file, rewritten only where a container and a test must differ:
/// each <c>server NAME:PORT</c> of an upstream points at a test process, each <c>listen PORT</c> gets a free
/// loopback port, and nginx's pid and temporary files go to a temp folder (the file leaves them to nginx's
/// defaults, which need root outside the image). A rewrite that finds nothing to replace fails, so the test
/// cannot drift into running some other configuration.
/// </summary>
public sealed partial class NginxProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    /// <summary>The repository's load balancer configuration.</summary>
    public static string RepositoryConfig => Path.Combine(RepoPaths.Root, "deploy", "nginx", "nginx.conf");

    /// <summary>Each port the configuration listens on, and the loopback port it got here.</summary>
    public IReadOnlyDictionary<int, int> Ports { get; }

    public string Output => _process.Output;

    private NginxProcess(ChildProcess process, string directory, IReadOnlyDictionary<int, int> ports)
    {
        _process = process;
        _directory = directory;
        Ports = ports;
    }

    /// <summary>http://127.0.0.1:PORT/ for the configuration's <c>listen <paramref name="configPort"/></c>.</summary>
    public Uri Url(int configPort) => new($"http://127.0.0.1:{Ports[configPort].ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>
    /// Starts nginx with <paramref name="upstreams"/> ("hub-a:5000" → "127.0.0.1:41234") and waits until every
    /// listening port accepts connections.
    /// </summary>
    public static async Task<NginxProcess> StartAsync(IReadOnlyDictionary<string, string> upstreams, string? configFile = null)
    {
        var binary = FindNginx();
        var directory = Directory.CreateTempSubdirectory("sysmon-nginx-").FullName;
        // Under root, nginx's workers drop to `nobody`, which must reach the temp folders created here.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        var (config, ports) = Rewrite(await File.ReadAllTextAsync(configFile ?? RepositoryConfig), upstreams, directory);
        var configPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);

        // A configuration error is reported as nginx words it, not as a port that never opened.
        await using (var check = ChildProcess.Start("nginx -t", binary, Arguments(directory, configPath, test: true)))
        {
            if (await check.WaitForExitAsync(TimeSpan.FromSeconds(30)) != 0)
            {
                throw new InvalidOperationException($"nginx refused {configFile ?? RepositoryConfig} (as rewritten for the test, {configPath}):\n{check.Output}");
            }
        }

        var process = ChildProcess.Start("nginx", binary, Arguments(directory, configPath, test: false));
        var nginx = new NginxProcess(process, directory, ports);
        try
        {
            foreach (var port in ports.Values)
            {
                await Deadline.Until(async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"nginx exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)}");
                    }
                    using var client = new TcpClient();
                    await client.ConnectAsync("127.0.0.1", port);
                    return true;
                }, $"nginx listens on 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", TimeSpan.FromSeconds(15));
            }
        }
        catch (Exception ex)
        {
            var output = process.Output;
            await nginx.DisposeAsync();
            throw new InvalidOperationException($"nginx did not start: {ex.Message}\n{output}", ex);
        }
        return nginx;
    }

    /// <summary>
    /// The configuration as the test runs it, and the listen ports it replaced (config port → loopback port).
    /// Pure but for picking free ports.
    /// </summary>
    public static (string Config, IReadOnlyDictionary<int, int> Ports) Rewrite(string config, IReadOnlyDictionary<string, string> upstreams, string directory)
    {
        foreach (var (name, address) in upstreams)
        {
            var server = new Regex($@"(?m)^(\s*server\s+){Regex.Escape(name)}(?=[\s;])");
            if (!server.IsMatch(config))
            {
                throw new InvalidOperationException($"The nginx configuration has no upstream 'server {name}': the test and deploy/nginx/nginx.conf disagree.");
            }
            config = server.Replace(config, m => m.Groups[1].Value + address);
        }
        if (UpstreamServer().Matches(config).Select(m => m.Groups[1].Value).FirstOrDefault(s => !s.StartsWith("127.0.0.1:", StringComparison.Ordinal)) is { } left)
        {
            throw new InvalidOperationException($"The nginx configuration's upstream 'server {left}' was not given a test address.");
        }

        var ports = new Dictionary<int, int>();
        config = Listen().Replace(config, m =>
        {
            var original = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (!ports.TryGetValue(original, out var port))
            {
                ports[original] = port = FreePort.Next();
            }
            return $"{m.Groups[1].Value}127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        });
        if (ports.Count == 0)
        {
            throw new InvalidOperationException("The nginx configuration listens on no port.");
        }

        // Temp files (bodies and responses nginx buffers) default to /var/lib/nginx or /var/cache/nginx, which
        // only root may create; these are http-level directives, out of reach of `-g`.
        var http = HttpBlock();
        if (!http.IsMatch(config))
        {
            throw new InvalidOperationException("The nginx configuration has no http block.");
        }
        var temp = string.Join(' ', new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" }
            .Select(kind => $"{kind}_temp_path {Path.Combine(directory, kind)};"));
        config = http.Replace(config, m => $"{m.Value}\n    {temp}", 1);
        return (config, ports);
    }

    private static string[] Arguments(string directory, string configPath, bool test) =>
    [
        // The early error log, before the file's own `error_log stderr` is read (the default needs root).
        "-e", "stderr",
        "-p", directory + Path.DirectorySeparatorChar,
        "-c", configPath,
        // In the foreground, where the test can kill it; the pid file where nginx may write.
        "-g", $"daemon off; pid {Path.Combine(directory, "nginx.pid")};",
        .. test ? ["-t"] : Array.Empty<string>(),
    ];

    private static string FindNginx()
    {
        var configured = Environment.GetEnvironmentVariable("SYSMON_NGINX");
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var candidates = path.Split(Path.PathSeparator).Append("/usr/sbin").Append("/usr/local/sbin")
            .Select(dir => Path.Combine(dir, "nginx")).Prepend(configured);
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c)) ?? throw new InvalidOperationException(
            "The load balancer tests run deploy/nginx/nginx.conf with nginx, and found none on PATH or in /usr/sbin. " +
            "Install it with `sudo apt-get install nginx-light` (Debian/Ubuntu; scripts/install-test-deps.sh does) or set SYSMON_NGINX, then run ./test.sh again.");
    }

    [GeneratedRegex(@"(?m)^\s*server\s+([^\s;{]+)")]
    private static partial Regex UpstreamServer();

    [GeneratedRegex(@"(?m)^(\s*listen\s+)(\d+)(?=[\s;])")]
    private static partial Regex Listen();

    [GeneratedRegex(@"(?m)^http\s*\{")]
    private static partial Regex HttpBlock();

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a leftover temp folder (workers may still be closing files) is not worth failing a test over
        }
    }

    public override string ToString() => _process.ToString();
}
