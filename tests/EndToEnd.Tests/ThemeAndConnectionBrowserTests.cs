using System.Globalization;
using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>The dashboard's theme choice and its connection banner, in headless Chromium.</summary>
public sealed class ThemeAndConnectionBrowserTests
{
    private static Task<string?> ThemeAsync(IPage page) =>
        page.Locator("html").GetAttributeAsync("data-bs-theme", new() { Timeout = 5_000 }).WithTimeout();

    [Fact]
    public async Task ThemeFollowsTheSystemUntilChosenAndTheChoiceSurvivesAReload()
    {
        await using var hub = await HubProcess.StartAsync("hub-theme", redis: null);
        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var context = await browser.NewContextAsync(new() { ColorScheme = ColorScheme.Dark }).WithTimeout();
        var page = await context.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);

        await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
        var toggle = page.Locator("#theme-toggle");
        await Assertions.Expect(toggle).ToHaveTextAsync("Theme: auto").WithTimeout();
        Assert.Equal("dark", await ThemeAsync(page)); // the system's

        await toggle.ClickAsync().WithTimeout();
        await Assertions.Expect(toggle).ToHaveTextAsync("Theme: light").WithTimeout();
        Assert.Equal("light", await ThemeAsync(page));

        await page.ReloadAsync().WithTimeout();
        await Assertions.Expect(toggle).ToHaveTextAsync("Theme: light").WithTimeout();
        Assert.Equal("light", await ThemeAsync(page)); // remembered, though the system is dark

        await toggle.ClickAsync().WithTimeout();
        await toggle.ClickAsync().WithTimeout();
        await Assertions.Expect(toggle).ToHaveTextAsync("Theme: auto").WithTimeout();
        Assert.Equal("dark", await ThemeAsync(page));
        await context.CloseAsync().WithTimeout();
    }

    [Fact]
    public async Task AHubRestartShowsTheBannerThenTheDashboardReconnectsByItselfAndChartsResume()
    {
        var machineId = "restart-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?> { ["EmbeddedAgent__Enabled"] = "true", ["EmbeddedAgent__MachineId"] = machineId };
        var first = await HubProcess.StartAsync("hub-restart-1", redis: null, settings);
        HubProcess? second = null;
        try
        {
            using var playwright = await Playwright.CreateAsync().WithTimeout();
            await using var browser = await Chromium.LaunchAsync(playwright);
            var page = await browser.NewPageAsync().WithTimeout();
            page.SetDefaultTimeout(30_000);
            await page.GotoAsync(new Uri(first.WebUrl, $"#/machine/{machineId}").ToString()).WithTimeout();
            await Assertions.Expect(page.Locator("#connection-state")).ToHaveTextAsync("Connected").WithTimeout();
            var banner = page.Locator("#connection-banner");
            await Assertions.Expect(banner).ToBeHiddenAsync().WithTimeout();

            await first.Process.KillAsync();
            await Assertions.Expect(banner).ToBeVisibleAsync().WithTimeout();
            await Assertions.Expect(banner).ToContainTextAsync(new System.Text.RegularExpressions.Regex("Reconnecting|Retrying")).WithTimeout();

            // The same address comes back: no reload, no click.
            second = await HubProcess.StartAsync("hub-restart-2", redis: null, settings, first.WebPort, first.GrpcPort);
            await Assertions.Expect(page.Locator("#connection-state")).ToHaveTextAsync("Connected", new() { Timeout = 60_000 }).WithTimeout(TimeSpan.FromSeconds(70));
            await Assertions.Expect(banner).ToBeHiddenAsync().WithTimeout();
            var before = await PointsAsync(page);
            await Deadline.Until(async () => await PointsAsync(page) > before, "live points arrive again after the restart", TimeSpan.FromSeconds(45));
        }
        finally
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }

    private static async Task<int> PointsAsync(IPage page) =>
        int.TryParse(await page.GetAttributeAsync("[data-testid=cpu-chart]", "data-points", new() { Timeout = 5_000 }).WithTimeout(),
            NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
