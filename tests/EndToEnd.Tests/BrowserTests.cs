using System.Globalization;
using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// The dashboard in a real headless Chromium, served by a hub started exactly as `dotnet run` starts
/// it (built-in agent on, no Redis): what a new user sees.
/// </summary>
public sealed class BrowserTests
{
    private static async Task<int> PointsAsync(IPage page) =>
        int.TryParse(await page.GetAttributeAsync("[data-testid=cpu-chart]", "data-points", new() { Timeout = 5_000 }),
            NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static async Task<int> ChartPointsAsync(IPage page, string testId) =>
        int.TryParse(await page.GetByTestId(testId).GetAttributeAsync("data-points", new() { Timeout = 5_000 }),
            NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    [Fact]
    public async Task DashboardListsThisMachineAndItsCpuChartReceivesLivePoints()
    {
        var machineId = "browser-" + Guid.NewGuid().ToString("N")[..12];
        await using var hub = await HubProcess.StartAsync("hub-browser", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "true",
            ["EmbeddedAgent__MachineId"] = machineId,
        });

        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        var errors = Chromium.CollectErrors(page);
        await Chromium.TrapCspViolationsAsync(page);

        try
        {
            var home = await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
            // Served with a policy that forbids inline and foreign script; every page below must live with it.
            Assert.Contains("script-src 'self'", await home!.HeaderValueAsync("content-security-policy").WithTimeout() ?? "", StringComparison.Ordinal);
            var entry = page.Locator($"[data-machine-id='{machineId}']").First;
            await entry.WaitForAsync().WithTimeout();
            await entry.ClickAsync().WithTimeout();

            await Assertions.Expect(page.GetByTestId("machine-title")).ToContainTextAsync(Environment.MachineName, new() { IgnoreCase = true }).WithTimeout();
            await Assertions.Expect(page.Locator("#connection-state")).ToHaveTextAsync("Connected").WithTimeout();

            await Deadline.Until(async () => await PointsAsync(page) >= 2, "the CPU chart has two points", TimeSpan.FromSeconds(45));
            var first = await PointsAsync(page).WithTimeout();
            await Deadline.Until(async () => await PointsAsync(page) > first, "the CPU chart receives another live point", TimeSpan.FromSeconds(30));

            await Deadline.Until(async () => await page.GetByTestId("process-rows").Locator("tr").CountAsync() > 0,
                "the process table shows processes");

            // The load chart sits under the CPU chart; the memory trend may start below the fold, where charts
            // are not redrawn until they are scrolled into view, and are then drawn with every sample so far.
            await Deadline.Until(async () => await ChartPointsAsync(page, "load-chart") >= 2, "the load chart has points");
            var trend = page.GetByTestId("memory-trend");
            await trend.ScrollIntoViewIfNeededAsync().WithTimeout();
            await Deadline.Until(async () => await ChartPointsAsync(page, "memory-trend") >= 2, "the memory chart in view has points");
        }
        catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
        {
            var shot = Path.Combine(Path.GetTempPath(), $"sysmon-browser-{machineId}.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true }).WithTimeout();
            throw new TimeoutException($"{ex.Message}\nScreenshot: {shot}\nPage errors: {string.Join("; ", errors)}\n{hub}", ex);
        }
        Assert.True(errors.Count == 0, "Browser errors: " + string.Join(" | ", errors));
        var violations = await Chromium.CspViolationsAsync(page);
        Assert.True(violations.Length == 0, "Content-Security-Policy violations: " + string.Join(" | ", violations));
    }

    [Fact]
    public async Task DashboardWhoseHubDiesReconnectsThroughTheLoadBalancerAndKeepsItsMachine()
    {
        var machineId = "browser-failover-" + Guid.NewGuid().ToString("N")[..8];
        var redis = new RedisServer();
        await redis.InitializeAsync();
        try
        {
            var hubs = await Task.WhenAll(HubProcess.StartAsync("browser-a", redis.ConnectionString), HubProcess.StartAsync("browser-b", redis.ConnectionString));
            await using var a = hubs[0];
            await using var b = hubs[1];
            // The browser knows one address; the balancer sends it to hub A while A lives, then to B.
            await using var balancer = new TcpProxy(a.WebUrl, b.WebUrl);
            await using var agent = AgentProcess.Start(machineId, [a.GrpcUrl, b.GrpcUrl]);

            using var playwright = await Playwright.CreateAsync().WithTimeout();
            await using var browser = await Chromium.LaunchAsync(playwright);
            var page = await browser.NewPageAsync().WithTimeout();
            page.SetDefaultTimeout(30_000);
            await page.GotoAsync(new Uri(balancer.Url, $"?machine={machineId}").ToString()).WithTimeout();
            await Deadline.Until(async () => await PointsAsync(page) >= 2, "the CPU chart has points through hub A", TimeSpan.FromSeconds(45));

            await a.Process.KillAsync();
            var before = await PointsAsync(page).WithTimeout();

            try
            {
                await Deadline.Until(async () => await PointsAsync(page) > before + 2,
                    "the chart keeps receiving points after the dashboard moved to hub B", TimeSpan.FromSeconds(45));
                await Assertions.Expect(page.Locator("#connection-state")).ToHaveTextAsync("Connected").WithTimeout();
            }
            catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
            {
                var shot = Path.Combine(Path.GetTempPath(), $"sysmon-failover-{machineId}.png");
                await page.ScreenshotAsync(new() { Path = shot, FullPage = true }).WithTimeout();
                throw new TimeoutException($"{ex.Message}\nScreenshot: {shot}\n{agent}\n{b}", ex);
            }
            Assert.Contains(b.WebUrl, balancer.Routed);
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
