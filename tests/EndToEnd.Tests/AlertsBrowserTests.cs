using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>Alerts in Chromium: the firing ones above the fleet and on the machine's page, and the alerts page's history.</summary>
public sealed class AlertsBrowserTests
{
    [Fact]
    public async Task AFiringAlertShowsAboveTheFleetOnItsMachinePageAndInTheHistory()
    {
        var machineId = "alerts-ui-" + Guid.NewGuid().ToString("N")[..8];
        // A rule this machine always breaks: any CPU use at all.
        await using var hub = await HubProcess.StartAsync("hub-alerts-ui", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "true",
            ["EmbeddedAgent__MachineId"] = machineId,
            ["Alerts__Rules__0__Id"] = "always",
            ["Alerts__Rules__0__Name"] = "Always <b>on</b>",
            ["Alerts__Rules__0__Metric"] = "process_count",
            ["Alerts__Rules__0__Threshold"] = "0",
            ["Alerts__Rules__0__Severity"] = "Critical",
        });
        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        await Chromium.TrapCspViolationsAsync(page);

        await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
        var panel = page.GetByTestId("alerts-panel");
        var row = panel.Locator($"[data-alert=\"always {machineId}\"]");
        await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 20_000 }).WithTimeout();
        await Assertions.Expect(row).ToContainTextAsync("Always <b>on</b>").WithTimeout(); // text, never markup
        await Assertions.Expect(row).ToContainTextAsync("Critical").WithTimeout();

        await page.GotoAsync(new Uri(hub.WebUrl, $"#/machine/{machineId}").ToString()).WithTimeout();
        await Assertions.Expect(row).ToBeVisibleAsync().WithTimeout();
        await row.GetByTestId("acknowledge").ClickAsync().WithTimeout();
        await Assertions.Expect(row).ToContainTextAsync("ack:").WithTimeout();
        await page.ReloadAsync().WithTimeout(); // the hub keeps it: after a reload it still says who
        await Assertions.Expect(row).ToContainTextAsync("ack: anonymous", new() { Timeout = 20_000 }).WithTimeout();

        await page.GetByTestId("nav-alerts").ClickAsync().WithTimeout();
        await Assertions.Expect(panel).ToBeHiddenAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("alert-history")).ToContainTextAsync(machineId).WithTimeout();
        await Assertions.Expect(page.GetByTestId("alert-history")).ToContainTextAsync("Fired").WithTimeout();
        Assert.Empty(await Chromium.CspViolationsAsync(page));
    }
}
