using System.Globalization;
using Microsoft.Playwright;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// A machine's history in headless Chromium: a simulated agent fills the hub's history with two runs of samples
/// and a five-minute hole between them, then the page is driven as a user would (ranges, a click for the
/// processes of a past moment, a drag to zoom).
/// </summary>
public sealed class HistoryBrowserTests
{
    private const string HostileProcess = "<script>window.__alerts.push('process')</script>";

    private static async Task<string?> AttributeAsync(IPage page, string selector, string name) =>
        await page.GetAttributeAsync(selector, name, new() { Timeout = 5_000 }).WithTimeout();

    [Fact]
    public async Task RangesLoadHistoryWithGapsAsBreaksAClickShowsPastProcessesAndADragZooms()
    {
        var id = "hist-" + Guid.NewGuid().ToString("N")[..8];
        await using var hub = await HubProcess.StartAsync("hub-history", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "false",
        });
        await using var agent = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, id, "history-host");
        // 10 to 7 minutes ago, then 2 minutes ago to now, every 2 s: the hole between is the agent being away.
        var now = DateTimeOffset.UtcNow;
        ProcessSample[] processes = [new() { Pid = 4242, Name = HostileProcess, User = "root", CpuPercent = 97, Threads = 1, State = "R" }];
        for (var at = now.AddMinutes(-10); at < now.AddMinutes(-7); at = at.AddSeconds(2))
        {
            await agent.SendAsync(30, at, replayed: true, processes);
        }
        for (var at = now.AddMinutes(-2); at <= now; at = at.AddSeconds(2))
        {
            await agent.SendAsync(60, at, replayed: true, processes);
        }
        await Deadline.Until(() => agent.Acked >= 150, "the hub stores the history");

        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 }, AcceptDownloads = true }).WithTimeout();
        page.SetDefaultTimeout(30_000);
        var errors = Chromium.CollectErrors(page);
        await Chromium.TrapAlertsAsync(page);

        try
        {
            await page.GotoAsync(new Uri(hub.WebUrl, $"#/machine/{id}?range=15m").ToString()).WithTimeout();
            await Assertions.Expect(page.Locator("[data-range='15m']")).ToHaveAttributeAsync("aria-pressed", "true").WithTimeout();
            await Assertions.Expect(page.GetByTestId("range-note")).ToContainTextAsync("15 min:").WithTimeout();
            // Both runs are drawn, with a gap marker (a null point) between them rather than a line across.
            await Deadline.Until(async () => int.Parse(await AttributeAsync(page, "[data-testid=cpu-chart]", "data-points") ?? "0", CultureInfo.InvariantCulture) >= 140,
                "the CPU chart shows the stored history");
            Assert.True(int.Parse(await AttributeAsync(page, "[data-testid=cpu-chart]", "data-gaps") ?? "0", CultureInfo.InvariantCulture) >= 1,
                "the five minutes without samples are a break in the line");

            // Export downloads what the charts show: the same window, as CSV and as JSON.
            var csv = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync()).WithTimeout();
            Assert.EndsWith(".csv", csv.SuggestedFilename, StringComparison.Ordinal);
            var csvLines = await File.ReadAllLinesAsync(await csv.PathAsync().WithTimeout());
            Assert.StartsWith("timestamp,", csvLines[0], StringComparison.Ordinal);
            Assert.True(csvLines.Length > 140, $"{csvLines.Length} CSV lines for 150 samples");
            var json = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-json").ClickAsync()).WithTimeout();
            using (var exported = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(await json.PathAsync().WithTimeout())))
            {
                Assert.Equal(id, exported.RootElement.GetProperty("machineId").GetString());
                Assert.True(exported.RootElement.GetProperty("points").GetArrayLength() > 140);
            }

            // A click on the chart shows the top processes of that moment, names as text.
            var chart = page.Locator("[data-testid=cpu-chart] canvas");
            var box = (await chart.BoundingBoxAsync().WithTimeout())!;
            await page.Mouse.ClickAsync(box.X + (box.Width * 0.9f), box.Y + (box.Height / 2)).WithTimeout();
            await Assertions.Expect(page.GetByTestId("process-caption")).ToContainTextAsync("Top processes at").WithTimeout();
            await Assertions.Expect(page.GetByTestId("process-rows")).ToContainTextAsync(HostileProcess).WithTimeout();

            // Dragging across the chart zooms to that window, named in the URL.
            await page.Mouse.MoveAsync(box.X + (box.Width * 0.2f), box.Y + (box.Height / 2)).WithTimeout();
            await page.Mouse.DownAsync().WithTimeout();
            await page.Mouse.MoveAsync(box.X + (box.Width * 0.5f), box.Y + (box.Height / 2), new() { Steps = 5 }).WithTimeout();
            await page.Mouse.UpAsync().WithTimeout();
            await Deadline.Until(() => Task.FromResult(page.Url.Contains("range=custom", StringComparison.Ordinal)), "the drag zooms");
            await Assertions.Expect(page.GetByTestId("range-note")).ToContainTextAsync("Zoomed").WithTimeout();

            // Back to live: the chart starts from recent history at once and the URL drops the range.
            await page.Locator("[data-range='live']").ClickAsync().WithTimeout();
            await Assertions.Expect(page.GetByTestId("range-note")).ToContainTextAsync("Live").WithTimeout();
            Assert.DoesNotContain("range=", page.Url, StringComparison.Ordinal);
            await Deadline.Until(async () => int.Parse(await AttributeAsync(page, "[data-testid=cpu-chart]", "data-points") ?? "0", CultureInfo.InvariantCulture) >= 60,
                "the live chart starts from the last minutes of history");

            Assert.Empty(await page.EvaluateAsync<string[]>("window.__alerts").WithTimeout());
        }
        catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
        {
            var shot = Chromium.ArtifactPath($"history-failure-{id}.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true }).WithTimeout();
            throw new TimeoutException($"{ex.Message}\nScreenshot: {shot}\nPage errors: {string.Join("; ", errors)}\n{hub}", ex);
        }
        Assert.True(errors.Count == 0, "Browser errors: " + string.Join(" | ", errors));
    }
}
