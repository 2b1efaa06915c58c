using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>Alert email through a real SMTP server on loopback: one message on firing, one on resolving.</summary>
public sealed class AlertEmailTests
{
    [Fact]
    public async Task AFiringAndItsResolutionAreEmailedOnceEach()
    {
        await using var smtp = new SmtpReceiver();
        await using var hub = await HubProcess.StartAsync("hub-email", redis: null, new Dictionary<string, string?>
        {
            ["Alerts__Rules__0__Id"] = "cpu-hot",
            ["Alerts__Rules__0__Name"] = "CPU hot",
            ["Alerts__Rules__0__Metric"] = "cpu_percent",
            ["Alerts__Rules__0__Threshold"] = "90",
            ["Alerts__OfflineAfterSeconds"] = "0",
            ["Alerts__NotifyPollMs"] = "200",
            ["Alerts__Channels__0__Id"] = "ops-mail",
            ["Alerts__Channels__0__Kind"] = "Email",
            ["Alerts__Channels__0__SmtpHost"] = "127.0.0.1",
            ["Alerts__Channels__0__SmtpPort"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Alerts__Channels__0__SmtpSecurity"] = "None",
            ["Alerts__Channels__0__From"] = "sysmon@example.org",
            ["Alerts__Channels__0__To__0"] = "ops@example.org",
        });
        var machineId = "mailed-" + Guid.NewGuid().ToString("N")[..8];
        var t = DateTimeOffset.UtcNow;
        await using (var agent = await SimulatedAgent.ConnectAsync(hub.GrpcUrl, machineId))
        {
            foreach (var (cpu, i) in new[] { (95.0, 0), (40.0, 1) })
            {
                var sequence = await agent.SendAsync(cpu, t.AddSeconds(i));
                await Deadline.Until(() => agent.Acked >= sequence, "the sample is acknowledged");
            }
        }

        await Deadline.Until(() => smtp.Messages.Count >= 2, "two emails arrive");
        var subjects = smtp.Messages.Select(m => m.Split("\r\n").First(l => l.StartsWith("Subject:", StringComparison.Ordinal))).ToList();
        Assert.Equal([$"Subject: [FIRING] CPU hot on {machineId}", $"Subject: [RESOLVED] CPU hot on {machineId}"], subjects);
        Assert.All(smtp.Messages, m => Assert.Contains("To: ops@example.org", m, StringComparison.Ordinal));
    }
}
