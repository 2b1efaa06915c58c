using Microsoft.Playwright;
using SysMon.TestSupport;

namespace SysMon.EndToEnd.Tests;

/// <summary>Debian's Chromium, headless, driven by Playwright: the browser every dashboard test uses.</summary>
internal static class Chromium
{
    public static string ExecutablePath()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("SYSMON_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" })
        {
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("Chromium not found: install it (`sudo apt-get install chromium`) or set SYSMON_CHROMIUM; ./test.sh does this for you.");
    }

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath(),
            Headless = true,
            // Debian's Chromium as root needs --no-sandbox; the rest stop it calling home on a closed network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            Timeout = 60_000,
        }).WithTimeout(TimeSpan.FromSeconds(90));

    /// <summary>The page's script errors and console errors, collected as they happen (tests assert none at the end).</summary>
    public static List<string> CollectErrors(IPage page)
    {
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) => { if (message.Type == "error") errors.Add($"{message.Text} ({message.Location})"); };
        return errors;
    }

    /// <summary>Records every Content-Security-Policy violation the page reports in window.__csp (read with <see cref="CspViolationsAsync"/>).</summary>
    public static Task TrapCspViolationsAsync(IPage page) =>
        page.AddInitScriptAsync("window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));").WithTimeout();

    public static Task<string[]> CspViolationsAsync(IPage page) =>
        page.EvaluateAsync<string[]>("() => window.__csp ?? []").WithTimeout();

    /// <summary>Records alert() calls in window.__alerts instead of showing them: hostile text that ran as script would call it.</summary>
    public static Task TrapAlertsAsync(IPage page) =>
        page.AddInitScriptAsync("window.__alerts = []; window.alert = m => window.__alerts.push(String(m));").WithTimeout();

    /// <summary>Where screenshots kept as test artifacts go (next to the test results).</summary>
    public static string ArtifactPath(string fileName)
    {
        var directory = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "screenshots");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, fileName);
    }
}
