using System.Globalization;
using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// The dashboard itself behind the repository's nginx configuration, which spreads requests over two hubs
/// with no sticky sessions. A SignalR client that negotiates first would send its negotiate request and its
/// WebSocket to different hubs about half the time and fail; the dashboard connects straight with a WebSocket.
/// </summary>
[Collection(LoadBalancerCollection.Name)]
public sealed class LoadBalancerBrowserTests
{
    private static async Task<int> PointsAsync(IPage page) =>
        int.TryParse(await page.GetAttributeAsync("[data-testid=cpu-chart]", "data-points", new() { Timeout = 5_000 }),
            NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    [Fact]
    public async Task EveryDashboardPageBehindTheBalancerGetsLivePointsWhicheverHubItLandsOn()
    {
        var machineId = "lb-browser-" + Guid.NewGuid().ToString("N")[..12];
        var redis = new RedisServer();
        await redis.InitializeAsync();
        // No users here, and requests through a balancer never count as this host: let the network in, as a
        // lab would (the setting is logged loudly; docs/security.md).
        var settings = new Dictionary<string, string?>
        {
            ["Security__TrustedProxies__0"] = "127.0.0.1",
            ["Security__AllowUnauthenticatedNetwork"] = "true",
        };
        var hubs = await Task.WhenAll(
            HubProcess.StartAsync("hub-lbb-a", redis.ConnectionString, settings),
            HubProcess.StartAsync("hub-lbb-b", redis.ConnectionString, settings));
        await using var a = hubs[0];
        await using var b = hubs[1];
        try
        {
            await using var lb = await NginxProcess.StartAsync(new Dictionary<string, string>
            {
                ["hub-a:5000"] = $"127.0.0.1:{a.WebPort}",
                ["hub-b:5000"] = $"127.0.0.1:{b.WebPort}",
                ["hub-a:5001"] = $"127.0.0.1:{a.GrpcPort}",
                ["hub-b:5001"] = $"127.0.0.1:{b.GrpcPort}",
            });
            await using var agent = AgentProcess.Start(machineId, lb.Url(5001));

            using var playwright = await Playwright.CreateAsync().WithTimeout();
            await using var browser = await Chromium.LaunchAsync(playwright);
            var pages = new List<IPage>();
            for (var i = 0; i < 4; i++)
            {
                // A context each: its own connections, as four people's browsers would have.
                var context = await browser.NewContextAsync().WithTimeout();
                var page = await context.NewPageAsync().WithTimeout();
                page.SetDefaultTimeout(30_000);
                await page.GotoAsync(new Uri(lb.Url(8080), $"#/machine/{machineId}").ToString()).WithTimeout();
                pages.Add(page);
            }

            try
            {
                await Deadline.Until(async () =>
                {
                    foreach (var page in pages)
                    {
                        if (await PointsAsync(page) < 2)
                        {
                            return false;
                        }
                    }
                    return true;
                }, "every page's CPU chart receives live points", TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException ex)
            {
                var states = new List<string>();
                foreach (var page in pages)
                {
                    states.Add($"{await page.Locator("#connection-state").TextContentAsync().WithTimeout()} / {await PointsAsync(page)} points");
                }
                throw new TimeoutException($"{ex.Message}\npages: {string.Join("; ", states)}\n{agent}\n{lb}\n{a}\n{b}", ex);
            }

            // Round-robin put the pages' WebSockets on both hubs.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            async Task<double> ViewersAsync(HubProcess hub)
            {
                var line = (await http.GetStringAsync(new Uri(hub.WebUrl, "metrics")).WithTimeout()).Split('\n')
                    .First(l => l.StartsWith("sysmon_hub_connected_viewers", StringComparison.Ordinal));
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
            var (onA, onB) = (await ViewersAsync(a), await ViewersAsync(b));
            Assert.True(onA >= 1 && onB >= 1, $"viewers: {onA} on hub A, {onB} on hub B");
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
