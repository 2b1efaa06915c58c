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

    /// <summary>Where screenshots kept as test artifacts go (next to the test results).</summary>
    public static string ArtifactPath(string fileName)
    {
        var directory = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "screenshots");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, fileName);
    }
}
