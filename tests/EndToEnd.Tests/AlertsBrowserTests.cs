using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>Alerts in Chromium: the firing ones above the fleet and on the machine's page, and the alerts page's history.</summary>
public sealed partial class AlertsBrowserTests
{
    [System.Text.RegularExpressions.GeneratedRegex(@"setup code ([A-Z2-7]{5}-[A-Z2-7]{5})")]
    private static partial System.Text.RegularExpressions.Regex SetupCode();

    /// <summary>The rule editor, as an admin: try a rule on the history so far, save it, see it fire, disable it, delete it.</summary>
    [Fact]
    public async Task AnAdminTriesARuleOnHistorySavesItSeesItFireDisablesAndDeletesIt()
    {
        var machineId = "rules-ui-" + Guid.NewGuid().ToString("N")[..8];
        await using var hub = await HubProcess.StartAsync("hub-rules-ui", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "true",
            ["EmbeddedAgent__MachineId"] = machineId,
        });
        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        await Chromium.TrapCspViolationsAsync(page);
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync(); // "Delete the rule …?"

        await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
        await Assertions.Expect(page.Locator($"[data-fleet-row=\"{machineId}\"]")).ToBeVisibleAsync().WithTimeout();
        await Deadline.Until(() => SetupCode().IsMatch(hub.Output), "the hub logs its setup code");
        var status = await page.EvaluateAsync<int>("""
            async code => {
              const session = await (await fetch('api/session')).json();
              const res = await fetch('api/setup', { method: 'POST', body: JSON.stringify({ setupCode: code, name: 'root', password: 'correct horse battery' }),
                headers: { 'Content-Type': 'application/json', 'X-SysMon-Csrf': session.csrfToken } });
              return res.status;
            }
            """, SetupCode().Match(hub.Output).Groups[1].Value).WithTimeout();
        Assert.Equal(200, status);
        await page.GotoAsync(new Uri(hub.WebUrl, "#/alerts").ToString()).WithTimeout();
        await page.ReloadAsync().WithTimeout(); // the session is an admin's now

        // A rule every sample breaks (CPU above -1 %), tried on the seconds of history the machine has so far.
        var form = page.GetByTestId("rule-form");
        await form.Locator("[name=id]").FillAsync("busy").WithTimeout();
        await form.Locator("[name=name]").FillAsync("Busy <i>box</i>").WithTimeout();
        await form.Locator("[name=metric]").SelectOptionAsync("cpu_percent").WithTimeout();
        await form.Locator("[name=threshold]").FillAsync("-1").WithTimeout();
        await form.Locator("[name=forSeconds]").FillAsync("0").WithTimeout();
        await form.Locator("[name=minutes]").FillAsync("10").WithTimeout();
        await form.GetByTestId("rule-test").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("backtest")).ToContainTextAsync("Would have fired 1 time on 1 machine").WithTimeout();
        await Assertions.Expect(page.GetByTestId("backtest-rows")).ToContainTextAsync(machineId).WithTimeout();

        await form.GetByTestId("rule-save").ClickAsync().WithTimeout();
        var row = page.Locator("[data-rule=busy]");
        await Assertions.Expect(row).ToContainTextAsync("Busy <i>box</i>").WithTimeout(); // text, never markup
        await Assertions.Expect(row).ToContainTextAsync("cpu_percent > -1").WithTimeout();

        await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
        var alert = page.GetByTestId("alerts-panel").Locator($"[data-alert=\"busy {machineId}\"]");
        await Assertions.Expect(alert).ToBeVisibleAsync(new() { Timeout = 20_000 }).WithTimeout();
        await alert.GetByTestId("silence").ClickAsync().WithTimeout(); // an admin's action on the alert itself
        await Assertions.Expect(alert).ToContainTextAsync("silenced").WithTimeout();
        await page.ReloadAsync().WithTimeout(); // the hub says so too
        await Assertions.Expect(alert).ToContainTextAsync("silenced", new() { Timeout = 20_000 }).WithTimeout();

        // Disabled, its alert resolves at the machine's next sample; deleted, it is gone.
        await page.GetByTestId("nav-alerts").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("silences")).ToContainTextAsync(machineId).WithTimeout();
        await row.GetByTestId("rule-toggle").ClickAsync().WithTimeout();
        await Assertions.Expect(row).ToContainTextAsync("off").WithTimeout();
        await Deadline.Until(async () => !await page.EvaluateAsync<bool>(
            "async () => (await (await fetch('api/alerts')).json()).some(a => a.ruleId === 'busy')").WithTimeout(), "the disabled rule's alert resolves");
        await page.ReloadAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("alert-history")).ToContainTextAsync("Resolved").WithTimeout();
        await row.GetByTestId("rule-delete").ClickAsync().WithTimeout();
        await Assertions.Expect(row).ToHaveCountAsync(0).WithTimeout();
        Assert.Empty(await Chromium.CspViolationsAsync(page));
    }

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

    /// <summary>The real agent watching two names on this host: the hub's own process runs, the other never does.</summary>
    [Fact]
    public async Task AWatchedProcessThatIsNotRunningIsRedOnTheMachinePageAndFiresTheBuiltInAlert()
    {
        var machineId = "watch-ui-" + Guid.NewGuid().ToString("N")[..8];
        await using var hub = await HubProcess.StartAsync("hub-watch-ui", redis: null, new Dictionary<string, string?>
        {
            ["EmbeddedAgent__Enabled"] = "true",
            ["EmbeddedAgent__MachineId"] = machineId,
            ["EmbeddedAgent__WatchProcesses"] = "dotnet,sysmon-missing",
        });
        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        await Chromium.TrapCspViolationsAsync(page);

        await page.GotoAsync(new Uri(hub.WebUrl, $"#/machine/{machineId}").ToString()).WithTimeout();
        var watched = page.GetByTestId("watched-processes");
        await Assertions.Expect(watched.Locator("[data-running=true]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^dotnet")).WithTimeout();
        await Assertions.Expect(watched.Locator("[data-running=false]")).ToHaveTextAsync("sysmon-missing: not running").WithTimeout();

        // 15 s not running: the built-in rule fires for that name only.
        var alert = page.GetByTestId("alerts-panel").Locator($"[data-alert=\"process-not-running {machineId}\"]");
        await Assertions.Expect(alert).ToContainTextAsync("sysmon-missing", new() { Timeout = 45_000 }).WithTimeout(TimeSpan.FromSeconds(50));
        await Assertions.Expect(alert).ToHaveCountAsync(1).WithTimeout();
        Assert.Empty(await Chromium.CspViolationsAsync(page));
    }
}
