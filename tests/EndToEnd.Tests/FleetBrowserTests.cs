using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// The fleet overview in headless Chromium, against a real hub fed by simulated agents over gRPC: what an operator
/// sees first.
/// </summary>
public sealed class FleetBrowserTests
{
    private const string HostileName = "<img src=x onerror=alert(1)>";

    /// <summary>Sends a sample every second, as a real agent does, until cancelled (a silent agent goes offline in 5 s).</summary>
    private static async Task KeepSendingAsync(SimulatedAgent agent, double cpuPercent, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                await agent.SendAsync(cpuPercent);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is OperationCanceledException or Grpc.Core.RpcException or InvalidOperationException)
        {
            // Stopped, or the agent was disposed: its machine goes offline, which is what some tests want.
        }
    }

    private static async Task<IReadOnlyList<string>> RowIdsAsync(IPage page) =>
        (await page.Locator("[data-fleet-row]:visible").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.fleetRow)").WithTimeout()).ToList();

    [Fact]
    public async Task FleetPageListsEveryMachineSortsFiltersMarksOfflineAndRendersHostileNamesAsText()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var hub = await HubProcess.StartAsync("hub-fleet", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "false",
            ["Hub__FleetIntervalMs"] = "500",
        });
        await using var quiet = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, $"quiet-{tag}", "web-1");
        await using var busy = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, $"busy-{tag}", "web-2");
        await using var hostile = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, $"hostile-{tag}", HostileName);
        using var stop = new CancellationTokenSource();
        var sending = Task.WhenAll(KeepSendingAsync(quiet, 10, stop.Token), KeepSendingAsync(busy, 80, stop.Token), KeepSendingAsync(hostile, 40, stop.Token));

        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        var errors = Chromium.CollectErrors(page);
        await Chromium.TrapAlertsAsync(page);

        try
        {
            await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
            await Deadline.Until(async () => (await RowIdsAsync(page)).Count == 3, "the fleet page lists the three machines");

            // Busiest first on the first click of a numeric column, least busy first on the second.
            await page.Locator("[data-sort=cpu]").ClickAsync().WithTimeout();
            await Deadline.Until(async () => (await RowIdsAsync(page))[0] == $"busy-{tag}", "sorted by CPU, busiest first");
            Assert.Equal([$"busy-{tag}", $"hostile-{tag}", $"quiet-{tag}"], await RowIdsAsync(page));
            Assert.Contains("sort=cpu", page.Url, StringComparison.Ordinal);
            await page.Locator("[data-sort=cpu]").ClickAsync().WithTimeout();
            await Deadline.Until(async () => (await RowIdsAsync(page))[0] == $"quiet-{tag}", "sorted by CPU, least busy first");

            await page.Locator("#fleet-filter").FillAsync("web").WithTimeout();
            await Deadline.Until(async () => (await RowIdsAsync(page)).Count == 2, "the filter keeps the two web machines");
            await page.Locator("#fleet-filter").FillAsync("").WithTimeout();

            // The hostile hostname is text in its row; nothing was parsed into an element or run.
            var hostileRow = page.Locator($"[data-fleet-row='hostile-{tag}']");
            await Assertions.Expect(hostileRow).ToContainTextAsync(HostileName).WithTimeout();
            Assert.Equal(0, await page.Locator("img[src=x]").CountAsync().WithTimeout());

            // An agent that goes away is marked offline, with how long for, and offline filtering finds it.
            await quiet.DisposeAsync();
            var quietRow = page.Locator($"[data-fleet-row='quiet-{tag}']");
            await Assertions.Expect(quietRow).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("sm-offline")).WithTimeout();
            await Assertions.Expect(quietRow).ToContainTextAsync("offline").WithTimeout();
            await page.Locator("#fleet-status").SelectOptionAsync("offline").WithTimeout();
            await Deadline.Until(async () => (await RowIdsAsync(page)).SequenceEqual([$"quiet-{tag}"]), "only the offline machine is listed");
            Assert.Contains("status=offline", page.Url, StringComparison.Ordinal);
            await page.Locator("#fleet-status").SelectOptionAsync("all").WithTimeout();

            // The keyboard walks the rows: ↓ moves focus to the next one.
            var order = await RowIdsAsync(page);
            await page.Locator($"[data-fleet-row='{order[0]}']").FocusAsync().WithTimeout();
            await page.Keyboard.PressAsync("ArrowDown").WithTimeout();
            Assert.Equal(order[1], await page.EvaluateAsync<string>("document.activeElement.dataset.fleetRow").WithTimeout());

            // A row opens its machine, and the URL names it.
            await page.Locator($"[data-fleet-row='busy-{tag}']").ClickAsync().WithTimeout();
            await Assertions.Expect(page.GetByTestId("machine-title")).ToContainTextAsync("web-2").WithTimeout();
            Assert.Contains($"#/machine/busy-{tag}", page.Url, StringComparison.Ordinal);

            Assert.Empty(await page.EvaluateAsync<string[]>("window.__alerts").WithTimeout());
        }
        catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
        {
            var shot = Chromium.ArtifactPath($"fleet-failure-{tag}.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true }).WithTimeout();
            throw new TimeoutException($"{ex.Message}\nScreenshot: {shot}\nPage errors: {string.Join("; ", errors)}\n{hub}", ex);
        }
        finally
        {
            await stop.CancelAsync();
            await sending.WithTimeout();
        }
        Assert.True(errors.Count == 0, "Browser errors: " + string.Join(" | ", errors));
    }

    [Fact]
    public async Task FleetPageFitsAPhoneWithoutHorizontalScrolling()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var hub = await HubProcess.StartAsync("hub-fleet-phone", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "false",
        });
        await using var agent = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, $"phone-{tag}", "a-machine-with-a-rather-long-hostname-01.example.org");
        await agent.SendAsync(55);

        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 360, Height = 740 }, IsMobile = true, HasTouch = true }).WithTimeout();
        var page = await context.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
        await Deadline.Until(async () => (await RowIdsAsync(page)).Count == 1, "the phone's fleet page lists the machine");

        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth").WithTimeout();
        await page.ScreenshotAsync(new() { Path = Chromium.ArtifactPath("fleet-phone-360.png"), FullPage = true }).WithTimeout();
        Assert.True(overflow <= 0, $"The page is {overflow} px wider than a 360 px phone (screenshot: artifacts/test-results/screenshots/fleet-phone-360.png).");
        await context.CloseAsync().WithTimeout();
    }
}
