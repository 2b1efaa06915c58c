using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

// Usage: SysMon.DashboardPerf --url http://127.0.0.1:5000/ --machine <id> [--seconds 30] [--loads 5]
// Last line: one JSON object of figures (milliseconds).
var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.a[2..], p => p.i + 1 < args.Length ? args[p.i + 1] : "", StringComparer.Ordinal);
if (!options.TryGetValue("url", out var url) || !options.TryGetValue("machine", out var machine))
{
    Console.Error.WriteLine("usage: --url http://127.0.0.1:5000/ --machine <id> [--seconds 30] [--loads 5]");
    return 2;
}
var seconds = int.Parse(options.GetValueOrDefault("seconds", "30"), CultureInfo.InvariantCulture);
var loads = int.Parse(options.GetValueOrDefault("loads", "5"), CultureInfo.InvariantCulture);
var fleetUrl = new Uri(new Uri(url), "#/").ToString();
var machineUrl = new Uri(new Uri(url), "#/machine/" + Uri.EscapeDataString(machine)).ToString();
var timeout = new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 50 };

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new()
{
    ExecutablePath = Environment.GetEnvironmentVariable("SYSMON_CHROMIUM") ?? "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

const string ObserveLongTasks = """
    window.__longTasks = [];
    new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask' });
    """;

// Cold loads in fresh contexts (no cache): time from navigation to the first data drawn.
async Task<double> FirstDataAsync(string target)
{
    await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
    var page = await context.NewPageAsync();
    await page.GotoAsync(target);
    // The page records the time itself; it is read once it has settled, because Playwright's polling
    // injects a script whose evaluation (30-40 ms here) competes with the page for its main thread.
    await page.WaitForTimeoutAsync(3_000);
    await page.WaitForFunctionAsync("() => window.__sysmonPerf && window.__sysmonPerf.firstDataMs !== undefined", null, timeout);
    return await page.EvaluateAsync<double>("() => window.__sysmonPerf.firstDataMs");
}

var fleetFirst = new List<double>();
var machineFirst = new List<double>();
for (var i = 0; i < loads; i++)
{
    fleetFirst.Add(await FirstDataAsync(fleetUrl));
    machineFirst.Add(await FirstDataAsync(machineUrl));
}

// Steady state of one page: redraw script times and long tasks over the window.
async Task<(double[] Redraws, double[] LongTasks, string Note)> SteadyAsync(string target, string kind, string? during)
{
    await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
    var page = await context.NewPageAsync();
    await page.AddInitScriptAsync(ObserveLongTasks);
    await page.GotoAsync(target);
    await page.WaitForFunctionAsync("() => window.__sysmonPerf && window.__sysmonPerf.firstDataMs !== undefined", null, timeout);
    await page.WaitForTimeoutAsync(5_000); // warm-up: JIT, fonts, the first full snapshot
    await page.EvaluateAsync($"() => {{ window.__sysmonPerf.{kind}.length = 0; window.__longTasks.length = 0; }}");
    if (during is not null)
    {
        await page.EvaluateAsync(during);
    }
    await page.WaitForTimeoutAsync(seconds * 1000);
    var redraws = await page.EvaluateAsync<double[]>($"() => window.__sysmonPerf.{kind}.slice()");
    var longTasks = await page.EvaluateAsync<double[]>("() => window.__longTasks.slice()");
    var note = kind == "fleet"
        ? await page.Locator("[data-testid=fleet-counts]").InnerTextAsync()
        : await page.Locator("[data-testid=cpu-chart]").GetAttributeAsync("data-points") ?? "";
    return (redraws, longTasks, note);
}

// The fleet page while someone scrolls through it: 200 px every 100 ms, down and back up.
const string Scroll = """
    () => { const s = document.querySelector('.sm-fleet-scroll'); let d = 200;
            setInterval(() => { if (s.scrollTop + s.clientHeight >= s.scrollHeight - 1) d = -200; else if (s.scrollTop <= 0) d = 200;
                                s.scrollTop += d; }, 100); }
    """;
var fleet = await SteadyAsync(fleetUrl, "fleet", Scroll);
var machinePage = await SteadyAsync(machineUrl, "machine", null);

static double Percentile(double[] xs, double p)
{
    if (xs.Length == 0)
    {
        return 0;
    }
    var sorted = xs.Order().ToArray();
    return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
}
static double R(double x) => Math.Round(x, 2);

var result = new Dictionary<string, object>
{
    ["first_data_fleet_ms_median"] = R(Percentile([.. fleetFirst], 0.5)),
    ["first_data_machine_ms_median"] = R(Percentile([.. machineFirst], 0.5)),
    ["fleet_counts"] = fleet.Note,
    ["fleet_redraws"] = fleet.Redraws.Length,
    ["fleet_redraw_ms_median"] = R(Percentile(fleet.Redraws, 0.5)),
    ["fleet_redraw_ms_p95"] = R(Percentile(fleet.Redraws, 0.95)),
    ["fleet_redraw_ms_max"] = R(fleet.Redraws.DefaultIfEmpty(0).Max()),
    ["fleet_long_tasks"] = fleet.LongTasks.Length,
    ["fleet_long_task_ms_max"] = R(fleet.LongTasks.DefaultIfEmpty(0).Max()),
    ["machine_redraws"] = machinePage.Redraws.Length,
    ["machine_redraw_ms_median"] = R(Percentile(machinePage.Redraws, 0.5)),
    ["machine_redraw_ms_p95"] = R(Percentile(machinePage.Redraws, 0.95)),
    ["machine_redraw_ms_max"] = R(machinePage.Redraws.DefaultIfEmpty(0).Max()),
    ["machine_chart_points"] = machinePage.Note,
    ["machine_long_tasks"] = machinePage.LongTasks.Length,
    ["window_seconds"] = seconds,
};
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;
