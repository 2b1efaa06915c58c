using System.Net;

namespace SysMon.Hub.Cli;

/// <summary>
/// <c>SysMon.Hub healthcheck [URL]</c>: the probe behind the container image's HEALTHCHECK and Compose's
/// healthchecks. The ASP.NET runtime image has neither curl nor wget, and adding one for a probe would put a
/// general-purpose HTTP client in every hub container; the hub's own runtime can make the request. Exits 0
/// when URL (default <see cref="DefaultUrl"/>) answers 200 within <see cref="Timeout"/>, 1 otherwise (Docker
/// reserves 2), and says why either way, which `docker inspect` shows under State.Health.
/// </summary>
public static class HealthCheckCommand
{
    public const string Name = "healthcheck";

    /// <summary>Liveness on the port the image binds (Kestrel__Endpoints__Web__Url=http://0.0.0.0:5000).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000/healthz";

    /// <summary>Under the image's HEALTHCHECK --timeout, so a hung hub is reported by us, not killed mid-answer by Docker.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length > 2 || !Uri.TryCreate(args.ElementAtOrDefault(1) ?? DefaultUrl, UriKind.Absolute, out var url)
            || url.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync($"usage: SysMon.Hub {Name} [URL]   (default {DefaultUrl}; exit 0 when it answers 200 within {Timeout.TotalSeconds:0} s)");
            return 1;
        }
        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                await output.WriteLineAsync($"healthy: {url} answered 200");
                return 0;
            }
            await error.WriteLineAsync($"unhealthy: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"unhealthy: {url}: {ex.Message}");
            return 1;
        }
        catch (TaskCanceledException)
        {
            await error.WriteLineAsync($"unhealthy: {url} did not answer within {Timeout.TotalSeconds:0} s");
            return 1;
        }
    }
}
