using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// People in the dashboard, in headless Chromium against a real hub: the first run (open to this host,
/// one-time setup with the code from the log), the admin page, signing out, a refused password, and a
/// viewer who sees the fleet but no admin page. No CSP violation anywhere on the way.
/// </summary>
public sealed partial class SignInBrowserTests
{
    private const string Password = "correct horse battery";

    [GeneratedRegex(@"setup code ([A-Z2-7]{5}-[A-Z2-7]{5})")]
    private static partial Regex SetupCode();

    [Fact]
    public async Task FirstRunSetupThenAdminThenSignOutThenAViewerSignsIn()
    {
        var machineId = "signin-" + Guid.NewGuid().ToString("N")[..8];
        await using var hub = await HubProcess.StartAsync("hub-sign-in", redis: null,
            new Dictionary<string, string?> { ["EmbeddedAgent__Enabled"] = "true", ["EmbeddedAgent__MachineId"] = machineId });
        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        await Chromium.TrapCspViolationsAsync(page);
        var errors = Chromium.CollectErrors(page);
        try
        {
            await WalkThroughAsync(page, hub, machineId, errors);
        }
        catch (Exception ex)
        {
            // What the page showed and what the hub said, so a failure on CI can be read without rerunning it.
            await page.ScreenshotAsync(new() { Path = Chromium.ArtifactPath("sign-in-failure.png"), FullPage = true }).WithTimeout();
            throw new InvalidOperationException($"{ex.Message}\nURL: {page.Url}\nPage errors: {string.Join(" | ", errors)}\nHub log (tail):\n{Tail(hub.Output)}", ex);
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    private static async Task WalkThroughAsync(IPage page, HubProcess hub, string machineId, List<string> errors)
    {
        // First run: this host sees the fleet without signing in, and is offered the setup.
        await page.GotoAsync(hub.WebUrl.ToString()).WithTimeout();
        await Assertions.Expect(page.Locator($"[data-fleet-row=\"{machineId}\"]")).ToBeVisibleAsync().WithTimeout();
        var banner = page.GetByTestId("setup-banner");
        await Assertions.Expect(banner).ToBeVisibleAsync().WithTimeout();
        await banner.GetByRole(AriaRole.Link, new() { Name = "Create the admin" }).ClickAsync().WithTimeout();

        var setup = page.GetByTestId("setup-form");
        await Deadline.Until(() => SetupCode().IsMatch(hub.Output), "the hub logs its setup code");
        await setup.Locator("[name=setupCode]").FillAsync(SetupCode().Match(hub.Output).Groups[1].Value.ToLowerInvariant()).WithTimeout();
        await setup.Locator("[name=name]").FillAsync("Root").WithTimeout();
        await setup.Locator("[name=password]").FillAsync(Password).WithTimeout();
        await setup.Locator("[name=confirm]").FillAsync(Password).WithTimeout();
        await setup.Locator("button[type=submit]").ClickAsync().WithTimeout();

        await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync("root").WithTimeout();
        await Assertions.Expect(banner).ToBeHiddenAsync().WithTimeout();
        await Assertions.Expect(page.Locator($"[data-fleet-row=\"{machineId}\"]")).ToBeVisibleAsync().WithTimeout();

        // The admin page: a viewer and an API token.
        await page.GetByTestId("nav-admin").ClickAsync().WithTimeout();
        var newUser = page.GetByTestId("new-user-form");
        await newUser.Locator("[name=name]").FillAsync("alice").WithTimeout();
        await newUser.Locator("[name=password]").FillAsync("alice's passphrase").WithTimeout();
        await newUser.Locator("button[type=submit]").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("users-table")).ToContainTextAsync("alice").WithTimeout();
        var newToken = page.GetByTestId("new-token-form");
        await newToken.Locator("[name=name]").FillAsync("prometheus").WithTimeout();
        await newToken.Locator("button[type=submit]").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("new-secret")).ToContainTextAsync("smk_").WithTimeout();
        await Assertions.Expect(page.GetByTestId("tokens-table")).ToContainTextAsync("prometheus").WithTimeout();
        await Assertions.Expect(page.GetByTestId("audit-table")).ToContainTextAsync("api-token-created").WithTimeout();

        // Signed out, this host, too, gets the sign-in form and nothing else.
        await page.GetByTestId("sign-out").ClickAsync().WithTimeout();
        var signIn = page.GetByTestId("sign-in-form");
        await Assertions.Expect(signIn).ToBeVisibleAsync().WithTimeout();
        await Assertions.Expect(page.Locator("#app-row")).ToBeHiddenAsync().WithTimeout();

        await signIn.Locator("[name=name]").FillAsync("alice").WithTimeout();
        await signIn.Locator("[name=password]").FillAsync("not alice's passphrase").WithTimeout();
        await signIn.Locator("button[type=submit]").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("sign-in-error")).ToContainTextAsync("Wrong name or password").WithTimeout();

        await signIn.Locator("[name=password]").FillAsync("alice's passphrase").WithTimeout();
        await signIn.Locator("button[type=submit]").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync("alice").WithTimeout();
        await Assertions.Expect(page.Locator($"[data-fleet-row=\"{machineId}\"]")).ToBeVisibleAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("nav-admin")).ToHaveCountAsync(0).WithTimeout();

        Assert.Empty(await Chromium.CspViolationsAsync(page));
        // A signed-out page's first requests are answered 401 by design (they are not held back for the session's answer).
        Assert.DoesNotContain(errors, e => !e.Contains("status of 401", StringComparison.Ordinal));
    }

    /// <summary>RFC 6238 (SHA-1, 6 digits, 30 s), as an authenticator app computes it.</summary>
    private static string Totp(string base32, DateTimeOffset at)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in base32.TrimEnd('='))
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        var counter = BitConverter.GetBytes(at.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(counter);
        }
        var mac = System.Security.Cryptography.HMACSHA1.HashData(bytes.ToArray(), counter);
        var offset = mac[^1] & 0x0f;
        var code = ((mac[offset] & 0x7f) << 24 | mac[offset + 1] << 16 | mac[offset + 2] << 8 | mac[offset + 3]) % 1_000_000;
        return code.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ASecondFactorIsSetUpFromItsQrCodeAndThenAskedForAtSignIn()
    {
        await using var hub = await HubProcess.StartAsync("hub-totp", redis: null);
        using var playwright = await Playwright.CreateAsync().WithTimeout();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync().WithTimeout();
        page.SetDefaultTimeout(30_000);
        await Chromium.TrapCspViolationsAsync(page);

        await page.GotoAsync(new Uri(hub.WebUrl, "#/setup").ToString()).WithTimeout();
        var setup = page.GetByTestId("setup-form");
        await Deadline.Until(() => SetupCode().IsMatch(hub.Output), "the hub logs its setup code");
        await setup.Locator("[name=setupCode]").FillAsync(SetupCode().Match(hub.Output).Groups[1].Value).WithTimeout();
        await setup.Locator("[name=name]").FillAsync("root").WithTimeout();
        await setup.Locator("[name=password]").FillAsync(Password).WithTimeout();
        await setup.Locator("[name=confirm]").FillAsync(Password).WithTimeout();
        await setup.Locator("button[type=submit]").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync("root").WithTimeout();

        await page.GetByTestId("account-name").ClickAsync().WithTimeout();
        await page.GetByTestId("totp-start").ClickAsync().WithTimeout();
        var qr = page.GetByTestId("totp-qr");
        await Assertions.Expect(qr).ToBeVisibleAsync().WithTimeout();
        Assert.True(await qr.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0").WithTimeout(), "the QR code image loads");
        var secret = (await page.GetByTestId("totp-secret").TextContentAsync().WithTimeout())!.Trim();
        var form = page.GetByTestId("totp-form");
        await form.Locator("[name=code]").FillAsync(Totp(secret, DateTimeOffset.UtcNow)).WithTimeout();
        await form.Locator("button[type=submit]").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("account-message")).ToHaveTextAsync("Second factor on.").WithTimeout();

        await page.GetByTestId("sign-out").ClickAsync().WithTimeout();
        var signIn = page.GetByTestId("sign-in-form");
        await signIn.Locator("[name=name]").FillAsync("root").WithTimeout();
        await signIn.Locator("[name=password]").FillAsync(Password).WithTimeout();
        await signIn.Locator("button[type=submit]").ClickAsync().WithTimeout();
        var code = signIn.Locator("[name=code]");
        await Assertions.Expect(code).ToBeVisibleAsync().WithTimeout(); // the password alone is not enough
        // The code used to turn it on is spent; the next one is good.
        await code.FillAsync(Totp(secret, DateTimeOffset.UtcNow.AddSeconds(30))).WithTimeout();
        await signIn.Locator("button[type=submit]").ClickAsync().WithTimeout();
        await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync("root").WithTimeout();
        Assert.Empty(await Chromium.CspViolationsAsync(page));
    }
}
