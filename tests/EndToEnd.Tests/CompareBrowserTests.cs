using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>Several machines overlaid on one chart, in headless Chromium, from a real hub's history.</summary>
public sealed class CompareBrowserTests
{
    [Fact]
    public async Task CompareOverlaysTheChosenMachinesOnOneChartAndTheUrlFollowsTheChoices()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var hub = await HubProcess.StartAsync("hub-compare", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "false",
        });
        await using var a = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, $"cmp-a-{tag}", "alpha");
        await using var b = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, $"cmp-b-{tag}", "<b>bravo</b>");
        var now = DateTimeOffset.UtcNow;
        for (var at = now.AddMinutes(-5); at <= now; at = at.AddSeconds(5))
        {
            await a.SendAsync(20, at, replayed: true);
            await b.SendAsync(70, at, replayed: true);
        }
        await Deadline.Until(() => a.Acked >= 60 && b.Acked >= 60, "the hub stores both histories");

        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } }).WithTimeout();
        page.SetDefaultTimeout(30_000);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        try
        {
            await page.GotoAsync(new Uri(hub.WebUrl, $"#/compare?ids=cmp-a-{tag},cmp-b-{tag}&metric=cpu&range=15m").ToString()).WithTimeout();
            var chart = page.GetByTestId("compare-chart");
            await Assertions.Expect(chart).ToHaveAttributeAsync("data-series", "2").WithTimeout();
            await Assertions.Expect(page.GetByTestId("compare-note")).ToContainTextAsync("CPU %").WithTimeout();
            // Machine names are text in the picker and the legend, never markup.
            await Assertions.Expect(page.GetByTestId("compare-machines")).ToContainTextAsync("<b>bravo</b>").WithTimeout();
            await Assertions.Expect(chart).ToContainTextAsync("<b>bravo</b>").WithTimeout();

            await page.Locator("#compare-metric").SelectOptionAsync("load").WithTimeout();
            await Deadline.Until(() => Task.FromResult(page.Url.Contains("metric=load", StringComparison.Ordinal)), "the metric is in the URL");
            await Assertions.Expect(page.GetByTestId("compare-note")).ToContainTextAsync("Load").WithTimeout();

            await page.Locator($"[data-compare-id='cmp-b-{tag}']").UncheckAsync().WithTimeout();
            await Assertions.Expect(chart).ToHaveAttributeAsync("data-series", "1").WithTimeout();
            Assert.DoesNotContain($"cmp-b-{tag}", page.Url, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
        {
            var shot = Chromium.ArtifactPath($"compare-failure-{tag}.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true }).WithTimeout();
            throw new TimeoutException($"{ex.Message}\nScreenshot: {shot}\nPage errors: {string.Join("; ", errors)}\n{hub}", ex);
        }
        Assert.True(errors.Count == 0, "Browser errors: " + string.Join(" | ", errors));
    }
}
